# expect: "ab"
with import ./files/t.nix; with lib;
opt types.unspecified [ { x = "a"; } { x = "b"; } ]
