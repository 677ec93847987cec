# expect: 5
with import ./files/t.nix; with lib;
optDefault types.int 0 [ { x = mkDefault 5; } ]
