# expect: { a = { x = 1; y = 2; }; }
with import ./files/t.nix; with lib;
eval [ { options.a.x = mkOption { type = types.int; }; } { options.a.y = mkOption { type = types.int; default = 2; }; } { a.x = 1; } ]
