# expect: 2
with import ./files/t.nix; with lib;
opt (types.enum [ 1 2 ]) [ { x = 2; } ]
