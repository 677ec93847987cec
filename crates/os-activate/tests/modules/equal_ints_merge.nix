# expect: 3
with import ./files/t.nix; with lib;
opt types.int [ { x = 3; } { x = 3; } ]
