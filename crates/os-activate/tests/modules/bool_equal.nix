# expect: true
with import ./files/t.nix; with lib;
opt types.bool [ { x = true; } { x = true; } ]
