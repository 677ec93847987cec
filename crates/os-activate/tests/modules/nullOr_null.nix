# expect: null
with import ./files/t.nix; with lib;
opt (types.nullOr types.int) [ { x = null; } ]
