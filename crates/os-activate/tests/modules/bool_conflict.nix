# error: The option `x' has conflicting definition values
with import ./files/t.nix; with lib;
opt types.bool [ { x = true; } { x = false; } ]
