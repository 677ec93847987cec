# error: The option `y' does not exist
# error: files/undeclared.nix
with import ./files/t.nix; with lib;
eval [ { options.x = mkOption { default = 1; }; } ./files/undeclared.nix ]
