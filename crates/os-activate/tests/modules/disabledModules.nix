# expect: { fromA = 1; shared = [ "b1" ]; }
with import ./files/t.nix; with lib;
eval [ { imports = [ ./files/b.nix ]; disabledModules = [ ./files/a.nix ]; options.fromA = mkOption { default = 1; }; } ]
