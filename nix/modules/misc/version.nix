# The system's version label (NixOS: system.nixos.label).
{ lib, ... }:
with lib;
{
  options.system.cairn.version = mkOption {
    type = types.str;
    default = "0.1";
    description = "The cairn system version written to the toplevel.";
  };
  options.system.stateVersion = mkOption {
    type = types.str;
    default = "0.1";
    description = "The release whose defaults stateful data was created with.";
  };
}
