# expect: true
with import ./files/sys.nix; with lib;
builtins.match ".*\nX-Restart-Triggers=[0-9a-f]{64}\n.*" (config { systemd.services.s.restartTriggers = [ "line1\nline2" ]; }).system.build.unitTexts."s.service" != null
