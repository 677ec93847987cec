# expect: { new = 5; }
with import ./files/t.nix; with lib;
removeAttrs (eval [ { options.new = mkOption { }; } (mkRenamedOptionModule [ "old" ] [ "new" ]) { old = 5; } ]) [ "old" ]
