# expect: { a = { x = 2; y = 1; }; }
with import ./files/t.nix; with lib;
eval [ ({ config, ... }: { options.a.x = mkOption { default = 0; }; options.a.y = mkOption { default = 1; }; config.a = mkIf (config.a.y == 1) { x = 2; }; }) ]
