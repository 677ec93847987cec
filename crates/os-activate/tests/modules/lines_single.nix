# expect: "only"
with import ./files/t.nix; with lib;
opt types.lines [ { x = "only"; } ]
