# error: integer between 1 and 10 (both inclusive)
with import ./files/t.nix; with lib;
opt (types.ints.between 1 10) [ { x = 11; } ]
