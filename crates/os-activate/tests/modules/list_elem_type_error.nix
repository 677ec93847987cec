# error: A definition for option `x."[definition 1-entry 2]"' is not of type `signed integer'
with import ./files/t.nix; with lib;
opt (types.listOf types.int) [ { x = [ 1 "two" ]; } ]
