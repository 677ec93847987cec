# error: is defined multiple times while it's expected to be unique
with import ./files/t.nix; with lib;
opt (types.uniq types.int) [ { x = 1; } { x = 1; } ]
