# expect: "[Unit]\nDescription=tick\n\n[Timer]\nOnUnitActiveSec=5min\n"
with import ./files/sys.nix; with lib;
(config { systemd.timers.t = { description = "tick"; timerConfig.OnUnitActiveSec = "5min"; }; }).system.build.unitTexts."t.timer"
