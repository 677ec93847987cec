# expect: [ "b" "a" ]
with import ./files/sys.nix; with lib;
(config { imports = [ { systemd.services.s.serviceConfig.ExecStartPre = [ "a" ]; } ]; systemd.services.s.serviceConfig.ExecStartPre = "b"; }).systemd.services.s.serviceConfig.ExecStartPre
