# error: is not of type `path'
with import ./files/t.nix; with lib;
opt types.path [ { x = "etc/hosts"; } ]
