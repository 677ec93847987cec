# expect: 1500
with import ./files/t.nix; with lib;
(evalFull [ { options.x = mkOption { default = 1; }; } ]).options.x.highestPrio
