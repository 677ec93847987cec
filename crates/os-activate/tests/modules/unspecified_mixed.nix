# error: Cannot merge definitions of `x'
with import ./files/t.nix; with lib;
opt types.unspecified [ { x = 1; } { x = "b"; } ]
