# expect: { x = { u = { a = 1; b = 2; }; }; }
with import ./files/t.nix; with lib;
clean (eval [ { options.x = mkOption { type = types.attrsOf (types.submodule { options.a = mkOption { default = 1; }; }); }; } { options.x = mkOption { type = types.attrsOf (types.submodule { options.b = mkOption { default = 2; }; }); }; } { x.u = { }; } ])
