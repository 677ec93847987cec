# expect: [ 1 2 3 ]
with import ./files/t.nix; with lib;
opt (types.listOf types.int) [ { x = [ 1 ]; } { x = [ 2 ]; } { x = [ 3 ]; } ]
