# expect: "/etc/hosts"
with import ./files/t.nix; with lib;
opt types.path [ { x = "/etc/hosts"; } ]
