let
  parseVersion = v: builtins.match "([0-9]+)\\.([0-9]+)(\\.([0-9]+))?(-?([a-z]+[0-9]*))?" v;
  isStorePath = p: builtins.match "/nix/store/[0-9a-df-np-sv-z]{32}-[^/]+" p != null;
  words = s: builtins.filter (x: builtins.isString x && x != "") (builtins.split "[^[:alnum:]]+" s);
  replaceVars = s: builtins.concatStringsSep "" (map (p: if builtins.isList p then "<${builtins.head p}>" else p) (builtins.split "@([a-zA-Z_]+)@" s));
in [
  (map parseVersion [ "1.2" "1.2.3" "10.0.1-rc1" "2.0beta2" "x" ])
  (map isStorePath [ "/nix/store/0c4z9n2xy1p5b3h8w7mqljiqgrs2kdfa-hello-2.12" "/nix/store/short-x" "/nix/store/0c4z9n2xy1p5b3h8w7mqljiqgrs2kdfa-a/b" ])
  (words "Hello, world! It's 2024 -- fine.")
  (replaceVars "#!@shell@\nexec @out@/bin/@name@ \"$@\"")
]
