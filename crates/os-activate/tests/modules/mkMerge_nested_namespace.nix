# expect: { a = { x = 1; y = 2; }; }
with import ./files/t.nix; with lib;
eval [ { options.a.x = mkOption { }; options.a.y = mkOption { }; } { a = mkMerge [ { x = 1; } { y = 2; } ]; } ]
