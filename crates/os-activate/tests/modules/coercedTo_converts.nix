# expect: [ "a" ]
with import ./files/t.nix; with lib;
opt (types.coercedTo types.str (s: [ s ]) (types.listOf types.str)) [ { x = "a"; } ]
