# expect: true
with import ./files/t.nix; with lib;
opt (types.oneOf [ types.int types.str types.bool ]) [ { x = true; } ]
