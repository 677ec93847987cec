# expect: "ab"
with import ./files/t.nix; with lib;
opt types.string [ { x = "a"; } { x = "b"; } ]
