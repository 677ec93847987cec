# expect: "HELLO"
with import ./files/t.nix; with lib;
(eval [ { options.x = mkOption { type = types.str; apply = toUpper; }; } { x = "hello"; } ]).x
