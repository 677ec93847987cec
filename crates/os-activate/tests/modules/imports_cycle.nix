# expect: { a = true; }
with import ./files/t.nix; with lib;
eval [ ./files/cycle-a.nix ]
