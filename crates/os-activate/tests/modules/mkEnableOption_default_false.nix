# expect: false
with import ./files/t.nix; with lib;
(eval [ { options.e = mkEnableOption "thing"; } ]).e
