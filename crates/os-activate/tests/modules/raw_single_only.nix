# error: The option `x' is defined multiple times
with import ./files/t.nix; with lib;
opt types.raw [ { x = 1; } { x = 1; } ]
