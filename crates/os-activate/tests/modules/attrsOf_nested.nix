# expect: { a = { b = 1; c = 2; }; }
with import ./files/t.nix; with lib;
opt (types.attrsOf (types.attrsOf types.int)) [ { x.a.b = 1; } { x.a.c = 2; } ]
