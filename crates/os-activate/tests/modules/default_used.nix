# expect: 1
with import ./files/t.nix; with lib;
optDefault types.int 1 [ ]
