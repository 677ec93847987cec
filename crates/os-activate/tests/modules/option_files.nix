# expect: [ "one.nix" "two.nix" ]
with import ./files/t.nix; with lib;
(evalFull [ { options.x = mkOption { type = types.listOf types.int; }; } (def "one.nix" { x = [ 1 ]; }) (def "two.nix" { x = [ 2 ]; }) ]).options.x.files
