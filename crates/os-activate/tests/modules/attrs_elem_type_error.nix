# error: A definition for option `x.b' is not of type `signed integer'
with import ./files/t.nix; with lib;
opt (types.attrsOf types.int) [ { x = { a = 1; b = "2"; }; } ]
