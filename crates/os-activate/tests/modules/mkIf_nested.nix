# expect: [ 2 ]
with import ./files/t.nix; with lib;
optDefault (types.listOf types.int) [ ] [ { x = mkIf true (mkIf true [ 2 ]); } { x = mkIf true (mkIf false [ 3 ]); } ]
