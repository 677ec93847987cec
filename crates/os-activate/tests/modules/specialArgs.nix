# expect: { x = 7; }
with import ./files/t.nix; with lib;
removeAttrs (evalModules { specialArgs.seven = 7; modules = [ ({ seven, ... }: { options.x = mkOption { default = seven; }; }) ]; }).config [ "_module" ]
