# expect: [ 1 2 ]
with import ./files/t.nix; with lib;
opt (types.listOf types.int) [ { x = mkForce [ 1 ]; } { x = mkForce [ 2 ]; } { x = [ 3 ]; } ]
