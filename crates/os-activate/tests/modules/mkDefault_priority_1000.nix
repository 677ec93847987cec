# expect: 1000
with import ./files/t.nix; with lib;
(evalFull [ { options.x = mkOption { }; } { x = mkDefault 1; } ]).options.x.highestPrio
