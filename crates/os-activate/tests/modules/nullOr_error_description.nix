# error: is not of type `null or signed integer'
with import ./files/t.nix; with lib;
opt (types.nullOr types.int) [ { x = "s"; } ]
