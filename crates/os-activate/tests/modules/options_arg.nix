# expect: true
with import ./files/t.nix; with lib;
(eval [ ({ options, ... }: { options.x = mkOption { default = 1; }; options.y = mkOption { default = options.x.isDefined; }; }) ]).y
