# expect: { a = [ 1 2 ]; }
with import ./files/t.nix; with lib;
opt (types.attrsOf (types.listOf types.int)) [ { x.a = [ 1 ]; } { x.a = [ 2 ]; } ]
