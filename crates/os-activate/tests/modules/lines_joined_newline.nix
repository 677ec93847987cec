# expect: "a\nb\nc"
with import ./files/t.nix; with lib;
opt types.lines [ { x = "a"; } { x = "b"; } { x = "c"; } ]
