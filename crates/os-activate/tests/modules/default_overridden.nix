# expect: 5
with import ./files/t.nix; with lib;
optDefault types.int 1 [ { x = 5; } ]
