# expect: { a = { x = 2; }; }
with import ./files/t.nix; with lib;
eval [ { options.a.x = mkOption { type = types.int; }; } { a.x = 1; } { a = mkForce { x = 2; }; } ]
