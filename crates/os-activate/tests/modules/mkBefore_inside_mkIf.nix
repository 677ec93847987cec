# expect: [ "b" "a" ]
with import ./files/t.nix; with lib;
opt (types.listOf types.str) [ { x = [ "a" ]; } { x = mkIf true (mkBefore [ "b" ]); } ]
