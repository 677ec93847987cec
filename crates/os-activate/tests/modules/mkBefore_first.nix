# expect: [ "b" "a" ]
with import ./files/t.nix; with lib;
opt (types.listOf types.str) [ { x = [ "a" ]; } { x = mkBefore [ "b" ]; } ]
