# expect: "Whether to enable thing."
with import ./files/t.nix; with lib;
(evalFull [ { options.e = mkEnableOption "thing"; } ]).options.e.description
