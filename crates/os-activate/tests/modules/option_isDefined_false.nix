# expect: false
with import ./files/t.nix; with lib;
(evalFull [ { options.x = mkOption { }; } ]).options.x.isDefined
