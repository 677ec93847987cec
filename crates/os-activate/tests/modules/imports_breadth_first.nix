# expect: [ "x" "y" "z" ]
with import ./files/t.nix; with lib;
(eval [ { options.l = mkOption { type = types.listOf types.str; }; } { l = [ "x" ]; imports = [ { l = [ "z" ]; } ]; } { l = [ "y" ]; } ]).l
