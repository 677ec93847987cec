# expect: "cairn-system-box-0.1"
with import ./files/sys.nix; with lib;
(system { networking.hostName = "box"; }).toplevel.name
