# Shared helpers for the module fixtures (not a fixture itself).
rec {
  lib = import <cairn/lib>;
  # The configuration of `modules`, without the internal `_module` options.
  eval = modules: removeAttrs (lib.evalModules { inherit modules; }).config [ "_module" ];
  evalFull = modules: lib.evalModules { inherit modules; };
  # One option `x` of `type` (with an optional default), defined by `defs`.
  opt = type: defs: (eval ([ { _file = "decl.nix"; options.x = lib.mkOption { inherit type; }; } ] ++ defs)).x;
  optDefault = type: default: defs: (eval ([ { _file = "decl.nix"; options.x = lib.mkOption { inherit type default; }; } ] ++ defs)).x;
  # `v` without the `_module` options that every (sub)module's config has.
  clean = v:
    if builtins.isAttrs v && !(lib.isDerivation v) then builtins.mapAttrs (_: clean) (removeAttrs v [ "_module" ])
    else if builtins.isList v then map clean v
    else v;
  # Definitions from named files, as if each came from its own module file.
  def = file: config: { _file = file; inherit config; };
}
