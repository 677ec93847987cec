# expect: { x = 1; y = 2; }
with import ./files/t.nix; with lib;
eval [ { options.x = mkOption { type = types.int; }; options.y = mkOption { type = types.int; }; } { config = mkMerge [ { x = 1; } { y = 2; } ]; } ]
