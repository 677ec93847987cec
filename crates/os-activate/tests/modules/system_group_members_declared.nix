# expect: [ "x" "alice" ]
with import ./files/sys.nix; with lib;
(group { users.users.alice = { isNormalUser = true; extraGroups = [ "adm" ]; }; users.groups.adm.members = [ "x" ]; } "adm").members
