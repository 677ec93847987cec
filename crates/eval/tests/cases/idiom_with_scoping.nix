let
  lib = { id = x: x; const = x: y: x; name = "lib"; };
  name = "outer";
in with lib; [ (id 1) (const 2 3) name (with { name = "inner"; }; name) (with { x = 1; }; with { x = 2; }; x) ]
