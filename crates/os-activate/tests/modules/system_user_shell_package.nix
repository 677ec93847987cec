# expect: "/nix/store/nfdapzhxsib1gsqynx0j31wlixyqqxdk-busybox/bin/sh"
with import ./files/sys.nix; with lib;
(user { users.users.g = { isNormalUser = true; shell = pkgs.busybox; }; } "g").shell
