# expect: { enable = true; x = 1; }
with import ./files/t.nix; with lib;
eval [ { options.enable = mkOption { type = types.bool; default = false; }; options.x = mkOption { type = types.int; default = 0; }; } ({ config, ... }: { config = mkIf config.enable { x = 1; }; }) { enable = true; } ]
