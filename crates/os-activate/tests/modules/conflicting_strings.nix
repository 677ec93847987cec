# error: The option `x' has conflicting definition values
# error: "a"
# error: "b"
with import ./files/t.nix; with lib;
opt types.str [ { x = "a"; } { x = "b"; } ]
