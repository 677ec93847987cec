# error: was accessed but has no value defined
with import ./files/t.nix; with lib;
(opt (types.lazyAttrsOf types.int) [ { x = { b = mkIf false 2; }; } ]).b
