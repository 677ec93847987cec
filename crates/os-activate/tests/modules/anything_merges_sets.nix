# expect: { a = { b = 1; c = 2; }; }
with import ./files/t.nix; with lib;
opt types.anything [ { x.a.b = 1; } { x.a.c = 2; } ]
