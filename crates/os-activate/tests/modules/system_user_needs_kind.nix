# error: Failed assertions:
# error: Exactly one of users.users.dave.isSystemUser and users.users.dave.isNormalUser must be set.
with import ./files/sys.nix; with lib;
(system { users.users.dave = { group = "users"; }; }).toplevel.drvPath
