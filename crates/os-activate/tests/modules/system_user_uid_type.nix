# error: A definition for option `users.users.f.uid' is not of type `null or signed integer'
with import ./files/sys.nix; with lib;
(user { users.users.f = { isNormalUser = true; uid = "1000"; }; } "f").uid
