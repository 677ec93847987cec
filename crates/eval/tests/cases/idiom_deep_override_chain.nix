let
  base = { version = 0; meta = { tags = [ ]; }; };
  step = i: prev: prev // { version = prev.version + 1; meta = prev.meta // { tags = prev.meta.tags ++ [ i ]; }; };
  final = builtins.foldl' (acc: i: step i acc) base (builtins.genList (i: i) 60);
in { inherit (final) version; ntags = builtins.length final.meta.tags; lastTag = builtins.elemAt final.meta.tags 59; }
