# expect: "first\nmiddle\nlast"
with import ./files/t.nix; with lib;
opt types.lines [ { x = mkAfter "last"; } { x = "middle"; } { x = mkBefore "first"; } ]
