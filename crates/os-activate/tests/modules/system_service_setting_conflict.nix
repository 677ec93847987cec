# error: The option `systemd.services.s.serviceConfig.User' has conflicting definition values
with import ./files/sys.nix; with lib;
(config { imports = [ { systemd.services.s.serviceConfig.User = "a"; } ]; systemd.services.s.serviceConfig.User = "b"; }).systemd.services.s.serviceConfig.User
