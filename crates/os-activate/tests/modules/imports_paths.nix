# expect: { fromA = 1; shared = [ "b1" "a" ]; }
with import ./files/t.nix; with lib;
eval [ ./files/b.nix ]
