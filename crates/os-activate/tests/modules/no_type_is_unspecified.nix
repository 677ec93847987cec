# expect: { x = [ 1 2 ]; }
with import ./files/t.nix; with lib;
eval [ { options.x = mkOption { }; } { x = [ 1 ]; } { x = [ 2 ]; } ]
