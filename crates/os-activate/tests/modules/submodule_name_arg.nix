# expect: { alice = { home = "/home/alice"; }; bob = { home = "/home/bob"; }; }
with import ./files/t.nix; with lib;
clean (opt (types.attrsOf (types.submodule ({ name, ... }: { options.home = mkOption { type = types.str; default = "/home/${name}"; }; }))) [ { x.alice = { }; x.bob = { }; } ])
