# expect: true
with import ./files/sys.nix; with lib;
hasInfix "\nX-RestartIfChanged=false\n" (config { systemd.services.s.restartIfChanged = false; }).system.build.unitTexts."s.service"
