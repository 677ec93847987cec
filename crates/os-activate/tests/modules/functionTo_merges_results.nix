# expect: [ 2 3 ]
with import ./files/t.nix; with lib;
(opt (types.functionTo (types.listOf types.int)) [ { x = n: [ (n + 1) ]; } { x = n: [ (n + 2) ]; } ]) 1
