# expect: "custom"
with import ./files/t.nix; with lib;
clean ((opt (types.attrsOf (types.submodule ({ name, ... }: { options.n = mkOption { default = name; }; }))) [ { x.k.n = "custom"; } ]).k.n)
