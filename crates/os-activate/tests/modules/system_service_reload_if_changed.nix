# expect: true
with import ./files/sys.nix; with lib;
hasInfix "\nX-ReloadIfChanged=true\n" (config { systemd.services.s.reloadIfChanged = true; }).system.build.unitTexts."s.service"
