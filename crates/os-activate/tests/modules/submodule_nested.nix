# expect: { inner = { v = "deep"; }; }
with import ./files/t.nix; with lib;
clean (opt (types.submodule { options.inner = mkOption { type = types.submodule { options.v = mkOption { type = types.str; }; }; }; }) [ { x.inner.v = "deep"; } ])
