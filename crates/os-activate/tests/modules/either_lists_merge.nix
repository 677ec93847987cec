# expect: [ 1 2 ]
with import ./files/t.nix; with lib;
opt (types.either (types.listOf types.int) types.str) [ { x = [ 1 ]; } { x = [ 2 ]; } ]
