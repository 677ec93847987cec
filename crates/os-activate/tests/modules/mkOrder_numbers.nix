# expect: [ "p1" "p5" "p9" ]
with import ./files/t.nix; with lib;
opt (types.listOf types.str) [ { x = mkOrder 900 [ "p9" ]; } { x = mkOrder 100 [ "p1" ]; } { x = mkOrder 500 [ "p5" ]; } ]
