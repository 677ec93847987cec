# networking.hostName, written to /etc/hostname as NixOS does.
{ config, lib, ... }:
with lib;
{
  options.networking.hostName = mkOption {
    type = types.strMatching "^$|^[[:alnum:]]([[:alnum:]_-]{0,61}[[:alnum:]])?$";
    default = "cairn";
    description = "The machine's host name (empty: leave it to DHCP).";
  };
  options.networking.extraHosts = mkOption {
    type = types.lines;
    default = "";
    description = "Lines appended to /etc/hosts.";
  };

  config.environment.etc = mkMerge [
    (mkIf (config.networking.hostName != "") { hostname.text = config.networking.hostName + "\n"; })
    {
      hosts.text = concatStringsSep "\n" ([
        "127.0.0.1 localhost"
        "::1 localhost"
      ] ++ optional (config.networking.hostName != "") "127.0.0.2 ${config.networking.hostName}"
        ++ optional (config.networking.extraHosts != "") config.networking.extraHosts) + "\n";
    }
  ];
}
