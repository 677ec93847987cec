# error: The option `x' in
# error: files/decl-x-str.nix' is already declared in `first.nix'
with import ./files/t.nix; with lib;
eval [ { _file = "first.nix"; options.x = mkOption { default = "t"; }; } ./files/decl-x-str.nix ]
