# expect: { "a.b" = 1; }
with import ./files/t.nix; with lib;
eval [ { options."a.b" = mkOption { type = types.int; }; } { "a.b" = 1; } ]
