# error: `mkIf' called with a non-Boolean condition
with import ./files/t.nix; with lib;
opt types.int [ { x = mkIf "yes" 1; } ]
