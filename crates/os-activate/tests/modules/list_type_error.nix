# error: is not of type `list of signed integer'
with import ./files/t.nix; with lib;
opt (types.listOf types.int) [ { x = 1; } ]
