# `assertions` and `warnings`: checked when the system toplevel is built.
{ lib, ... }:
with lib;
{
  options.assertions = mkOption {
    type = types.listOf (types.submodule {
      options.assertion = mkOption { type = types.bool; description = "What must hold."; };
      options.message = mkOption { type = types.str; description = "What to say when it does not."; };
    });
    default = [ ];
    internal = true;
    description = "Conditions that must hold for the configuration to build.";
  };
  options.warnings = mkOption {
    type = types.listOf types.str;
    default = [ ];
    internal = true;
    description = "Messages shown when the configuration is built.";
  };
}
