# expect: false
with import ./files/sys.nix; with lib;
(config { systemd.services.s.enable = false; }).system.build.unitTexts ? "s.service"
