# expect: 1
with import ./files/t.nix; with lib;
opt (types.either types.int types.str) [ { x = 1; } ]
