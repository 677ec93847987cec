# error: The option `x.nope' does not exist
with import ./files/t.nix; with lib;
opt (types.submodule { options.a = mkOption { default = 1; }; }) [ { x.nope = 1; } ]
