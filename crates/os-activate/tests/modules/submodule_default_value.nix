# expect: { a = 1; }
with import ./files/t.nix; with lib;
clean (optDefault (types.submodule { options.a = mkOption { default = 1; }; }) { } [ ])
