# expect: 4
with import ./files/t.nix; with lib;
(opt (types.functionTo types.int) [ { x = n: n * 2; } ]) 2
