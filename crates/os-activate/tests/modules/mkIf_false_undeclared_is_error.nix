# error: The option `nope' does not exist
with import ./files/t.nix; with lib;
eval [ { config = mkIf false { nope = 1; }; } ]
