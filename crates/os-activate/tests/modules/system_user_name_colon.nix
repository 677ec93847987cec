# error: not containing newlines or colons
with import ./files/sys.nix; with lib;
(user { users.users.e = { isNormalUser = true; description = "a:b"; }; } "e").description
