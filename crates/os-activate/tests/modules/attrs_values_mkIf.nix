# expect: { a = 1; }
with import ./files/t.nix; with lib;
opt (types.attrsOf types.int) [ { x = { a = 1; b = mkIf false 2; }; } ]
