let
  attrByPath = attrPath: default: e:
    let attr = builtins.head attrPath; in
    if attrPath == [ ] then e
    else if e ? ${attr} then attrByPath (builtins.tail attrPath) default e.${attr}
    else default;
  setAttrByPath = attrPath: value:
    if attrPath == [ ] then value
    else { ${builtins.head attrPath} = setAttrByPath (builtins.tail attrPath) value; };
  hasAttrByPath = p: e: attrByPath p null e != null;
  cfg = { services.nginx.enable = true; services.nginx.port = 80; };
in [
  (attrByPath [ "services" "nginx" "port" ] 0 cfg)
  (attrByPath [ "services" "apache" "port" ] 0 cfg)
  (setAttrByPath [ "a" "b" "c" ] 1)
  (hasAttrByPath [ "services" "nginx" ] cfg)
  (cfg.services.nginx.missing or "fallback")
]
