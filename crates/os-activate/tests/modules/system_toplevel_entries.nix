# expect: [ "activate" "cairn-version" "etc" "init-interface-version" "kernel-params" "sw" "systemd" "units.json" "users-groups.json" ]
with import ./files/sys.nix; with lib;
let entries = builtins.fromJSON (builtins.unsafeDiscardStringContext (system { }).toplevel.entries); in
sort lessThan (map (e: e.path) entries)
