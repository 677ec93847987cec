# error: The option `x.a' has conflicting definition values
# error: - In `one.nix': 1
# error: - In `two.nix': 2
with import ./files/t.nix; with lib;
opt (types.attrsOf types.int) [ (def "one.nix" { x.a = 1; }) (def "two.nix" { x.a = 2; }) ]
