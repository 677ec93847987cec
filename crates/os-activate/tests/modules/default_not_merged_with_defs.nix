# expect: [ "d" ]
with import ./files/t.nix; with lib;
optDefault (types.listOf types.str) [ "a" ] [ { x = [ "d" ]; } ]
