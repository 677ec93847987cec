# error: conflicting definition values
with import ./files/t.nix; with lib;
opt types.str [ { x = mkDefault "a"; } { x = mkDefault "b"; } ]
