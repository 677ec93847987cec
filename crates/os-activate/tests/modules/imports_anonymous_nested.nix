# expect: { x = 1; y = 2; }
with import ./files/t.nix; with lib;
eval [ { imports = [ { options.x = mkOption { }; } { imports = [ { options.y = mkOption { }; config.y = 2; } ]; } ]; x = 1; } ]
