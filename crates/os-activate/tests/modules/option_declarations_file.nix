# expect: [ "decl.nix" ]
with import ./files/t.nix; with lib;
map toString (evalFull [ { _file = "decl.nix"; options.x = mkOption { }; } ]).options.x.declarations
