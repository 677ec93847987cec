# expect: "strings concatenated with \"\\n\""
with import ./files/t.nix; with lib;
types.lines.description
