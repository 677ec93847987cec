# expect: true
with import ./files/t.nix; with lib;
hasSuffix "files/one.nix" (head (evalFull [ { options.x = mkOption { }; } ./files/one.nix ]).options.x.files)
