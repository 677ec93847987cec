# expect: { a = 3; }
with import ./files/t.nix; with lib;
clean (opt (types.submodule { options.a = mkOption { type = types.int; }; }) [ { x.a = mkDefault 1; } { x.a = 3; } ])
