# expect: { a = { b = { c = true; }; }; }
with import ./files/t.nix; with lib;
eval [ { options.a.b.c = mkOption { type = types.bool; }; } { a.b.c = true; } ]
