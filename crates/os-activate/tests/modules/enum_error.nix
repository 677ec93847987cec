# error: is not of type `one of "a", "b"'
with import ./files/t.nix; with lib;
opt (types.enum [ "a" "b" ]) [ { x = "c"; } ]
