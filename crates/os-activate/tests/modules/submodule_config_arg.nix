# expect: { a = 1; b = 2; }
with import ./files/t.nix; with lib;
clean (opt (types.submodule ({ config, ... }: { options.a = mkOption { type = types.int; }; options.b = mkOption { type = types.int; default = config.a + 1; }; })) [ { x.a = 1; } ])
