# expect: true
with import ./files/sys.nix; with lib;
let t = (config { systemd.services.s.script = "echo hi"; }).system.build.unitTexts."s.service"; in builtins.match ".*\nExecStart=/nix/store/[a-z0-9]+-unit-script-s-start/bin/s-start\n.*" t != null
