# expect: 5
with import ./files/t.nix; with lib;
opt types.int [ { x = 1; } { x = mkForce 5; } ]
