# expect: [ { n = 1; } { n = 2; } ]
with import ./files/t.nix; with lib;
clean (opt (types.listOf (types.submodule { options.n = mkOption { type = types.int; }; })) [ { x = [ { n = 1; } ]; } { x = [ { n = 2; } ]; } ])
