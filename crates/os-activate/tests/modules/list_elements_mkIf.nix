# expect: [ 1 3 ]
with import ./files/t.nix; with lib;
opt (types.listOf types.int) [ { x = [ 1 (mkIf false 2) (mkIf true 3) ]; } ]
