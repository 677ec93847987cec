# expect: [ "d" ]
with import ./files/t.nix; with lib;
opt (types.listOf types.str) [ { x = mkDefault (mkBefore [ "b" ]); } { x = [ "d" ]; } ]
