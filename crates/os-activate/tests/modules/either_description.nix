# error: is not of type `signed integer or string'
with import ./files/t.nix; with lib;
opt (types.either types.int types.str) [ { x = true; } ]
