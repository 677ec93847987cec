# expect: "a,b"
with import ./files/t.nix; with lib;
opt types.commas [ { x = "a"; } { x = "b"; } ]
