# error: is not of type `attribute set'
with import ./files/t.nix; with lib;
opt types.attrs [ { x = [ ]; } ]
