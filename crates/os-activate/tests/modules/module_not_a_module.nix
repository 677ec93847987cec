# error: not a module
with import ./files/t.nix; with lib;
eval [ types.int ]
