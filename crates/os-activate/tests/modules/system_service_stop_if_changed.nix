# expect: true
with import ./files/sys.nix; with lib;
hasInfix "\nX-StopIfChanged=false\n" (config { systemd.services.s.stopIfChanged = false; }).system.build.unitTexts."s.service"
