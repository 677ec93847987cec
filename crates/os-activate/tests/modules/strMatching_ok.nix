# expect: "abc"
with import ./files/t.nix; with lib;
opt (types.strMatching "[a-z]+") [ { x = "abc"; } ]
