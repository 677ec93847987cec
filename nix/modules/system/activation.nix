# system.activationScripts: shell snippets run on activation, ordered by
# their `deps` (then by name), as NixOS orders them.
{ config, lib, pkgs, ... }:
with lib;
let
  scriptType = types.either types.str (types.submodule {
    options.text = mkOption { type = types.lines; description = "The snippet."; };
    options.deps = mkOption { type = types.listOf types.str; default = [ ]; description = "Snippets that must run first."; };
  });
  normal = s: if isString s then { text = s; deps = [ ]; } else s;
  scripts = mapAttrs (_: normal) config.system.activationScripts;
  # Depth-first: each snippet after its deps, each once.
  order = foldl' (visit [ ]) [ ] (attrNames scripts);
  visit = stack: done: name:
    if elem name done then done
    else if elem name stack then throw "system.activationScripts: `${name}' depends on itself (through ${concatStringsSep " -> " stack})."
    else if !(scripts ? ${name}) then throw "system.activationScripts: unknown dependency `${name}'."
    else (foldl' (visit (stack ++ [ name ])) done scripts.${name}.deps) ++ [ name ];
  # The interpreter of the activation script: the package set's shell, or
  # the target machine's own /bin/sh when the set has none.
  shell = pkgs.runtimeShell or (if pkgs ? busybox then "${pkgs.busybox}/bin/sh" else "/bin/sh");
in
{
  options.system.activationScripts = mkOption {
    type = types.attrsOf scriptType;
    default = { };
    description = "Shell snippets run (as root) when the system is activated.";
  };

  config.system.build.activationScript = ''
    #!${shell}
    # Run by `cairn system switch` after /etc, users and groups are in place.
    systemConfig='@out@'
    export PATH=${optionalString (pkgs ? busybox) "${pkgs.busybox}/bin:"}/run/current-system/sw/bin
    _status=0
  '' + concatMapStrings (name: ''

    #### Activation script snippet ${name}:
    {
    ${scripts.${name}.text}
    } || { echo "Activation script snippet '${name}' failed" >&2; _status=1; }
  '') order + ''

    exit $_status
  '';
}
