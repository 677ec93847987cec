# expect: 5
with import ./files/t.nix; with lib;
opt (types.ints.between 1 10) [ { x = 5; } ]
