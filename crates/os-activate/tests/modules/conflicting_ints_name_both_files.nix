# error: The option `x' has conflicting definition values
# error: files/one.nix': 1
# error: files/two.nix': 2
# error: mkForce
with import ./files/t.nix; with lib;
opt types.int [ ./files/one.nix ./files/two.nix ]
