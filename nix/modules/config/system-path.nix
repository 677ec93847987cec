# environment.systemPackages, merged into the system's `sw` tree with
# `builtin:buildenv` (NixOS uses nixpkgs' buildEnv).
{ config, lib, ... }:
with lib;
{
  options.environment.systemPackages = mkOption {
    type = types.listOf types.package;
    default = [ ];
    description = "Packages linked into /run/current-system/sw.";
  };
  options.system.path = mkOption {
    type = types.package;
    internal = true;
    description = "The `sw` tree: the union of the system packages.";
  };

  config.system.path = buildEnv {
    name = "system-path";
    paths = config.environment.systemPackages;
  };
}
