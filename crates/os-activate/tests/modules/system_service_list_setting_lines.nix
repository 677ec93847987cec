# expect: true
with import ./files/sys.nix; with lib;
hasInfix "ExecStartPre=a\nExecStartPre=b\n" (config { systemd.services.s.serviceConfig.ExecStartPre = [ "a" "b" ]; }).system.build.unitTexts."s.service"
