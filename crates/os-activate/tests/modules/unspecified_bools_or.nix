# expect: true
with import ./files/t.nix; with lib;
opt types.unspecified [ { x = false; } { x = true; } ]
