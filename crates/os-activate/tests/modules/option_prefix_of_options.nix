# error: The option `a' in
# error: is a prefix of options in
with import ./files/t.nix; with lib;
eval [ { options.a = mkOption { }; } { options.a.b = mkOption { }; } ]
