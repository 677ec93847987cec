# expect: 4
with import ./files/t.nix; with lib;
opt (types.addCheck types.int (n: n > 3)) [ { x = 4; } ]
