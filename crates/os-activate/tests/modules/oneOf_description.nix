# error: not of type `signed integer or string or boolean'
with import ./files/t.nix; with lib;
opt (types.oneOf [ types.int types.str types.bool ]) [ { x = [ ]; } ]
