# expect: { a = 1; b = 2; }
with import ./files/t.nix; with lib;
opt (types.attrsOf types.int) [ { x = { a = mkDefault 5; b = 2; }; } { x.a = 1; } ]
