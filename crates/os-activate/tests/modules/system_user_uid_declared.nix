# expect: 1234
with import ./files/sys.nix; with lib;
(user { users.users.carol = { isNormalUser = true; uid = 1234; }; } "carol").uid
