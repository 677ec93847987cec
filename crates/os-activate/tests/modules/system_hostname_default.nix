# expect: "cairn"
with import ./files/sys.nix; with lib;
(config { }).networking.hostName
