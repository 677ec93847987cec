# expect: { localtime = "/etc/zoneinfo/Europe/Paris"; timezone = "Europe/Paris\n"; }
with import ./files/sys.nix; with lib;
let c = config { time.timeZone = "Europe/Paris"; }; in { localtime = c.environment.etc.localtime.source; timezone = c.environment.etc.timezone.text; }
