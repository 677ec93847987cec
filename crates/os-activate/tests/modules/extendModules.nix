# expect: { x = 1; y = 2; }
with import ./files/t.nix; with lib;
removeAttrs ((evalFull [ { options.x = mkOption { default = 1; }; } ]).extendModules { modules = [ { options.y = mkOption { default = 2; }; } ]; }).config [ "_module" ]
