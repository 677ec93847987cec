# error: A definition for option `x.alice.uid' is not of type `signed integer'
# error: In `users.nix'
with import ./files/t.nix; with lib;
opt (types.attrsOf (types.submodule { options.uid = mkOption { type = types.int; }; })) [ (def "users.nix" { x.alice.uid = "1000"; }) ]
