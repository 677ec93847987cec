# expect: [ "alice" "bob" ]
with import ./files/sys.nix; with lib;
(group { users.users.alice = { isNormalUser = true; extraGroups = [ "wheel" ]; }; users.users.bob = { isNormalUser = true; extraGroups = [ "wheel" ]; }; } "wheel").members
