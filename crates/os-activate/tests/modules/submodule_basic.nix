# expect: { a = 1; b = "x"; }
with import ./files/t.nix; with lib;
clean (opt (types.submodule { options.a = mkOption { type = types.int; default = 1; }; options.b = mkOption { type = types.str; }; }) [ { x.b = "x"; } ])
