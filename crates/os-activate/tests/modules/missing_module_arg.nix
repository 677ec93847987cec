# error: attribute 'nothere' missing
with import ./files/t.nix; with lib;
eval [ ({ nothere, ... }: { options.x = mkOption { default = nothere; }; }) ]
