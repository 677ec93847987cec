# expect: true
with import ./files/t.nix; with lib;
builtins.isPath (opt types.path [ { x = /etc/hosts; } ])
