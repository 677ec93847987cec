# error: unsigned integer, meaning >=0
with import ./files/t.nix; with lib;
opt types.ints.unsigned [ { x = -1; } ]
