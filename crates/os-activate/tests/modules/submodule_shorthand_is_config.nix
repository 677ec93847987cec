# expect: { options = 1; }
with import ./files/t.nix; with lib;
clean (opt (types.submodule { options.options = mkOption { }; }) [ { x = { options = 1; }; } ])
