# expect: 50
with import ./files/t.nix; with lib;
(evalFull [ { options.x = mkOption { }; } { x = mkForce 1; } ]).options.x.highestPrio
