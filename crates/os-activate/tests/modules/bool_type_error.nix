# error: is not of type `boolean'
with import ./files/t.nix; with lib;
opt types.bool [ { x = "true"; } ]
