# expect: [ 1 2 ]
with import ./files/t.nix; with lib;
opt types.unspecified [ { x = [ 1 ]; } { x = [ 2 ]; } ]
