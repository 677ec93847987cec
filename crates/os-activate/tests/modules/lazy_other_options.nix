# expect: 1
with import ./files/t.nix; with lib;
(eval [ { options.x = mkOption { type = types.int; default = 1; }; options.y = mkOption { type = types.int; default = throw "never"; }; } ]).x
