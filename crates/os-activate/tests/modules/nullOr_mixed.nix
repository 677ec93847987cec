# error: The option `x' is defined both null and not null
with import ./files/t.nix; with lib;
opt (types.nullOr types.int) [ { x = null; } { x = 1; } ]
