# expect: "busybox"
with import ./files/sys.nix; with lib;
(config ({ pkgs, ... }: { networking.hostName = pkgs.busybox.name; })).networking.hostName
