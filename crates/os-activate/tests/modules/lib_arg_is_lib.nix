# expect: true
with import ./files/t.nix; with lib;
(eval [ ({ lib, ... }: { options.x = mkOption { default = lib ? mkOption; }; }) ]).x
