# expect: [ "a" "b" "c" ]
with import ./files/t.nix; with lib;
opt (types.listOf types.str) [ { x = mkOrder 7 [ "a" ]; } { x = mkOrder 7 [ "b" ]; } { x = mkOrder 7 [ "c" ]; } ]
