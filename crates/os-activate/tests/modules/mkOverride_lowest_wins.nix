# expect: 2
with import ./files/t.nix; with lib;
opt types.int [ { x = mkOverride 30 1; } { x = mkOverride 20 2; } { x = mkOverride 40 3; } ]
