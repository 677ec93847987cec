# error: non-empty string
with import ./files/t.nix; with lib;
opt types.nonEmptyStr [ { x = "  "; } ]
