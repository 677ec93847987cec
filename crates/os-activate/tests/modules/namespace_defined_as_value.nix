# error: is not an attribute set
# error: a set of options
with import ./files/t.nix; with lib;
eval [ { options.a.b = mkOption { }; } { a = 5; } ]
