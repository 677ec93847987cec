# time.timeZone: /etc/localtime points into /etc/zoneinfo, as on NixOS.
{ config, lib, ... }:
with lib;
{
  options.time.timeZone = mkOption {
    type = types.nullOr (types.strMatching "[^ ]+");
    default = null;
    example = "Europe/Paris";
    description = "The time zone (null: UTC, changeable at run time).";
  };
  config.environment.etc = mkIf (config.time.timeZone != null) {
    localtime = { source = "/etc/zoneinfo/${config.time.timeZone}"; mode = "direct-symlink"; };
    timezone.text = config.time.timeZone + "\n";
  };
}
