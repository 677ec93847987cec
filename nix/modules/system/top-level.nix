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
  options.system.extraSystemBuilderCmds = mkOption {
    type = types.lines;
    default = "";
    internal = true;
    description = "More shell commands for the toplevel's builder.";
  };

  config.system.build.runCommand =
    if pkgs ? busybox then lib.runCommandWith pkgs.busybox
    else throw "nixpkgs.pkgs has no `busybox': cairn builds the system with it when there is no nixpkgs.";

  config.system.build.toplevel = checked (b.runCommand "cairn-system-${config.networking.hostName}-${config.system.cairn.version}" {
    activate = b.activationScript;
    usersGroups = b.usersGroupsJson;
    units = b.unitsJson;
    kernelParams = concatStringsSep " " config.boot.kernelParams;
    extraCmds = config.system.extraSystemBuilderCmds;
    passAsFile = [ "activate" "usersGroups" "units" "kernelParams" "extraCmds" ];
    etc = b.etc;
    sw = config.system.path;
    systemd = b.units;
    kernel = if config.boot.kernel == null then "" else "${config.boot.kernel}";
    initrd = if config.boot.initrd == null then "" else "${config.boot.initrd}";
    version = config.system.cairn.version;
  } ''
    mkdir -p $out
    ln -s $etc/etc $out/etc
    ln -s $sw $out/sw
    ln -s $systemd $out/systemd
    sed "s|@out@|$out|g" "$activatePath" > $out/activate
    chmod 555 $out/activate
    echo -n "systemd 2" > $out/init-interface-version
    echo -n "$version" > $out/cairn-version
    cp "$kernelParamsPath" $out/kernel-params
    cp "$usersGroupsPath" $out/users-groups.json
    cp "$unitsPath" $out/units.json
    if [ -n "$kernel" ]; then ln -s "$kernel" $out/kernel; fi
    if [ -n "$initrd" ]; then ln -s "$initrd" $out/initrd; fi
    . "$extraCmdsPath"
  '');
}
