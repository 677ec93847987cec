# error: The option `x.a' has conflicting option types
with import ./files/t.nix; with lib;
opt types.anything [ { x.a = 1; } { x.a = "s"; } ]
