# error: users.users.svc.group = "ghost", but no such group is declared
with import ./files/sys.nix; with lib;
(system { users.users.svc = { isSystemUser = true; group = "ghost"; }; }).toplevel.drvPath
