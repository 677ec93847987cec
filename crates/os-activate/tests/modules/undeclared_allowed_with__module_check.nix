# expect: 1
with import ./files/t.nix; with lib;
(evalModules { modules = [ { options.x = mkOption { default = 1; }; } { y = 2; _module.check = false; } ]; }).config.x
