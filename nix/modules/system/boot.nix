# boot.kernelParams and the kernel/initrd the boot entries name.
{ lib, ... }:
with lib;
{
  options.boot = {
    kernelParams = mkOption { type = types.listOf types.str; default = [ ]; description = "Parameters on the kernel command line."; };
    kernel = mkOption { type = types.nullOr types.path; default = null; description = "The kernel image the boot entries load (null: none)."; };
    initrd = mkOption { type = types.nullOr types.path; default = null; description = "The initrd the boot entries load (null: none)."; };
  };
}
