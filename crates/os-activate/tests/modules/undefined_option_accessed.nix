# error: The option `x' was accessed but has no value defined
with import ./files/t.nix; with lib;
opt types.int [ ]
