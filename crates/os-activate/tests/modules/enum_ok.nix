# expect: "b"
with import ./files/t.nix; with lib;
opt (types.enum [ "a" "b" ]) [ { x = "b"; } ]
