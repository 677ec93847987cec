# expect: 1
with import ./files/t.nix; with lib;
(evalModules { check = false; modules = [ { options.x = mkOption { default = 1; }; } { y = 2; } ]; }).config.x
