# expect: "[Unit]\n\n[Timer]\nOnCalendar=daily\n"
with import ./files/sys.nix; with lib;
(config { systemd.services.s = { script = "true"; startAt = "daily"; }; }).system.build.unitTexts."s.timer"
