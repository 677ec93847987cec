# expect: [ 2 ]
with import ./files/t.nix; with lib;
(evalFull [ { options.x = mkOption { }; } { x = 1; } { x = mkForce 2; } ]).options.x.definitions
