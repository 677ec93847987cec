# Evaluates a cairn system configuration (NixOS: nixos/lib/eval-config.nix).
#
#   import <cairn/system.nix> { configuration = ./configuration.nix; }
#
# gives { config, options, toplevel, … }; `toplevel` is the derivation that
# `cairn system build` builds.
{ configuration
, extraModules ? [ ]
, specialArgs ? { }
}:
let
  lib = import ./lib;
  eval = lib.evalModules {
    modules = import ./modules/module-list.nix ++ [ configuration ] ++ extraModules;
    specialArgs = { modulesPath = toString ./modules; } // specialArgs;
  };
in
eval // {
  inherit lib;
  toplevel = eval.config.system.build.toplevel;
}
