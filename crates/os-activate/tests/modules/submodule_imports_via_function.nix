# expect: { a = 1; }
with import ./files/t.nix; with lib;
clean (opt (types.submodule { options.a = mkOption { }; }) [ { x = { ... }: { imports = [ { a = 1; } ]; }; } ])
