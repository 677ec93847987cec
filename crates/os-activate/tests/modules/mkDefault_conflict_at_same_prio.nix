# expect: "b"
with import ./files/t.nix; with lib;
opt types.str [ { x = mkDefault "a"; } { x = "b"; } ]
