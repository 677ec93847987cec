# error: The option `x'
# error: is already declared in
with import ./files/t.nix; with lib;
eval [ ./files/decl-x-int.nix ./files/decl-x-str.nix ]
