# expect: 3
with import ./files/t.nix; with lib;
opt (types.nullOr types.int) [ { x = 3; } ]
