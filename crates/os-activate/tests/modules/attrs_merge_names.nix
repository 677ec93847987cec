# expect: { a = 1; b = 2; }
with import ./files/t.nix; with lib;
opt (types.attrsOf types.int) [ { x.a = 1; } { x.b = 2; } ]
