# error: A definition for option `x' is not of type `signed integer'
# error: files/bad-int.nix
# error: "not a number"
with import ./files/t.nix; with lib;
opt types.int [ ./files/bad-int.nix ]
