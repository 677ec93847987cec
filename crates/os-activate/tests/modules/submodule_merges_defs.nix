# expect: { a = 2; b = "x"; }
with import ./files/t.nix; with lib;
clean (opt (types.submodule { options.a = mkOption { type = types.int; default = 1; }; options.b = mkOption { type = types.str; }; }) [ { x.b = "x"; } { x.a = 2; } ])
