# expect: "listOf"
with import ./files/t.nix; with lib;
(evalFull [ { options.x = mkOption { type = types.listOf types.int; }; } ]).options.x.type.name
