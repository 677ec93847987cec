# expect: [ 9 ]
with import ./files/t.nix; with lib;
optDefault (types.listOf types.int) [ 1 ] [ { x = mkForce [ 9 ]; } ]
