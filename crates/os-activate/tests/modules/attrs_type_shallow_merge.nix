# expect: { a = 1; b = { d = 4; }; }
with import ./files/t.nix; with lib;
opt types.attrs [ { x = { a = 1; b.c = 3; }; } { x.b.d = 4; } ]
