# expect: 1
with import ./files/t.nix; with lib;
opt (types.uniq types.int) [ { x = 1; } ]
