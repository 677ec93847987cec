# system.build.toplevel: the whole system as one store path, as NixOS lays
# it out: etc/, sw/, systemd/, activate, init-interface-version, plus
# users-groups.json and units.json for cairn's activation.
{ config, lib, pkgs, ... }:
with lib;
let
  failed = map (a: a.message) (filter (a: !a.assertion) config.assertions);
  # Fails on a false assertion, prints the warnings, then gives `v`.
  checked = v:
    if failed != [ ] then throw "\nFailed assertions:\n${concatMapStringsSep "\n" (m: "- ${m}") failed}"
    else foldr (w: acc: builtins.trace "warning: ${w}" acc) v config.warnings;
  b = config.system.build;
in
{
  options.system.build = mkOption {
    type = types.lazyAttrsOf types.raw;
    default = { };
    description = "The parts of the system (toplevel, etc, units, …).";
  };
  options.system.extraTopLevelEntries = mkOption {
    type = types.listOf types.attrs;
    default = [ ];
    internal = true;
    description = "More entries (lib.treeFile, lib.treeSymlink, …) of the toplevel.";
  };

  # Built by `builtin:cairn-tree`: no shell needed. The activation script
  # learns the toplevel's own path through the output placeholder.
  config.system.build.toplevel = checked (mkTree "cairn-system-${config.networking.hostName}-${config.system.cairn.version}" ([
    (treeSymlink "etc" "${b.etc}/etc")
    (treeSymlink "sw" config.system.path)
    (treeSymlink "systemd" b.units)
    (treeExecutable "activate" (builtins.replaceStrings [ "@out@" ] [ (placeholder "out") ] b.activationScript))
    (treeFile "init-interface-version" "systemd 2")
    (treeFile "cairn-version" config.system.cairn.version)
    (treeFile "kernel-params" (concatStringsSep " " config.boot.kernelParams))
    (treeFile "users-groups.json" b.usersGroupsJson)
    (treeFile "units.json" b.unitsJson)
  ]
  ++ optional (config.boot.kernel != null) (treeSymlink "kernel" config.boot.kernel)
  ++ optional (config.boot.initrd != null) (treeSymlink "initrd" config.boot.initrd)
  ++ config.system.extraTopLevelEntries));
}
