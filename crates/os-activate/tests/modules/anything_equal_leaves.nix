# expect: { a = 1; }
with import ./files/t.nix; with lib;
opt types.anything [ { x.a = 1; } { x.a = 1; } ]
