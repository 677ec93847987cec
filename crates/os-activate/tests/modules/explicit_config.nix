# expect: { x = 3; }
with import ./files/t.nix; with lib;
eval [ { options.x = mkOption { type = types.int; }; } { config.x = 3; } ]
