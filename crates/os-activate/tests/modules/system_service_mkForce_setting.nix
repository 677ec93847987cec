# expect: "b"
with import ./files/sys.nix; with lib;
(config { imports = [ { systemd.services.s.serviceConfig.User = "a"; } ]; systemd.services.s.serviceConfig.User = mkForce "b"; }).systemd.services.s.serviceConfig.User
