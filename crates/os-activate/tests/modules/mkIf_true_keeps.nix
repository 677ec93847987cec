# expect: [ 1 ]
with import ./files/t.nix; with lib;
optDefault (types.listOf types.int) [ ] [ { x = mkIf true [ 1 ]; } ]
