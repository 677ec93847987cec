let
  mkIf = condition: content: { _type = "if"; inherit condition content; };
  mkMerge = contents: { _type = "merge"; inherit contents; };
  pushDownProperties = cfg:
    if cfg._type or "" == "merge" then builtins.concatMap pushDownProperties cfg.contents
    else if cfg._type or "" == "if" then (if cfg.condition then pushDownProperties cfg.content else [ ])
    else [ cfg ];
  defs = [
    { a = 1; }
    (mkIf true { b = 2; })
    (mkIf false { c = 3; })
    (mkMerge [ { d = 4; } (mkIf true { e = 5; }) ])
  ];
in builtins.foldl' (acc: d: acc // d) { } (builtins.concatMap pushDownProperties defs)
