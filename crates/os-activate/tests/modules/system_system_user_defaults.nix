# expect: { createHome = false; home = "/var/empty"; shell = "/run/current-system/sw/bin/nologin"; }
with import ./files/sys.nix; with lib;
let u = user { users.users.svc = { isSystemUser = true; group = "svc"; }; users.groups.svc = { }; } "svc"; in { inherit (u) createHome home shell; }
