# expect: [ "a" "b" ]
with import ./files/t.nix; with lib;
attrNames (opt (types.lazyAttrsOf types.int) [ { x = { a = 1; b = mkIf false 2; }; } ])
