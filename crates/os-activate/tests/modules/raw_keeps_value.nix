# expect: { deep = { thing = 1; }; }
with import ./files/t.nix; with lib;
opt types.raw [ { x = { deep.thing = 1; }; } ]
