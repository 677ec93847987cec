# expect: 7
with import ./files/t.nix; with lib;
optDefault types.int 7 [ { x = mkIf false 1; } ]
