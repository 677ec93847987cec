# error: is defined multiple times
with import ./files/t.nix; with lib;
opt (types.either types.int types.str) [ { x = 1; } { x = "s"; } ]
