# expect: { a = 0; }
with import ./files/t.nix; with lib;
clean (opt (types.submodule { options.a = mkOption { type = types.int; default = 0; }; }) [ { x.a = mkIf false 1; } ])
