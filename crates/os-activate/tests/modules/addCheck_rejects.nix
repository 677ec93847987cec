# error: is not of type `signed integer'
with import ./files/t.nix; with lib;
opt (types.addCheck types.int (n: n > 3)) [ { x = 2; } ]
