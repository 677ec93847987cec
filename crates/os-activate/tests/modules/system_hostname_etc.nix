# expect: "web1\n"
with import ./files/sys.nix; with lib;
(config { networking.hostName = "web1"; }).environment.etc.hostname.text
