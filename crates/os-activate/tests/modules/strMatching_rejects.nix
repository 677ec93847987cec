# error: string matching the pattern [a-z]+
with import ./files/t.nix; with lib;
opt (types.strMatching "[a-z]+") [ { x = "ABC"; } ]
