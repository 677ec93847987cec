# expect: 1
with import ./files/t.nix; with lib;
opt types.int [ { x = 1; } { x = mkDefault 5; } ]
