# expect: { a = 5; }
with import ./files/t.nix; with lib;
clean (opt (types.submodule { options.a = mkOption { type = types.int; }; }) [ { x = { ... }: { a = 5; }; } ])
