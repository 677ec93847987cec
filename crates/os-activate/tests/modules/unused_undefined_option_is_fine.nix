# expect: { y = 1; }
with import ./files/t.nix; with lib;
removeAttrs (eval [ { options.x = mkOption { type = types.int; }; options.y = mkOption { type = types.int; default = 1; }; } ]) [ "x" ]
