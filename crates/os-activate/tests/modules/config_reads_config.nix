# expect: { x = 2; y = 3; }
with import ./files/t.nix; with lib;
eval [ ({ config, ... }: { options.x = mkOption { type = types.int; }; options.y = mkOption { type = types.int; }; config.y = config.x + 1; }) { x = 2; } ]
