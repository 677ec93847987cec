# expect: { createHome = true; group = "users"; home = "/home/alice"; shell = "/run/current-system/sw/bin/sh"; uid = null; }
with import ./files/sys.nix; with lib;
let u = user { users.users.alice.isNormalUser = true; } "alice"; in { inherit (u) createHome group home shell uid; }
