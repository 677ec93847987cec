# expect: [ ]
with import ./files/t.nix; with lib;
optDefault (types.listOf types.int) [ ] [ { x = mkIf false [ 1 ]; } ]
