# expect: [ { file = "f.nix"; value = 1; } ]
with import ./files/t.nix; with lib;
(evalFull [ { options.x = mkOption { }; } (def "f.nix" { x = 1; }) ]).options.x.definitionsWithLocations
