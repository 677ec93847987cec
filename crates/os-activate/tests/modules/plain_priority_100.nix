# expect: 100
with import ./files/t.nix; with lib;
(evalFull [ { options.x = mkOption { }; } { x = 1; } ]).options.x.highestPrio
