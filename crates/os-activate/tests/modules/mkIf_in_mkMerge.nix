# expect: [ 1 3 ]
with import ./files/t.nix; with lib;
opt (types.listOf types.int) [ { x = mkMerge [ (mkIf true [ 1 ]) (mkIf false [ 2 ]) [ 3 ] ]; } ]
