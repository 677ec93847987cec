# error: users.users.svc.group is unset
with import ./files/sys.nix; with lib;
(system { users.users.svc.isSystemUser = true; }).toplevel.drvPath
