# error: is not of type `function that evaluates to a(n) signed integer'
with import ./files/t.nix; with lib;
opt (types.functionTo types.int) [ { x = 1; } ]
