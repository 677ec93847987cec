# expect: { x = 1; }
with import ./files/t.nix; with lib;
eval [ { options.x = mkOption { type = types.int; }; } { options.x = mkOption { type = types.int; default = 1; }; } ]
