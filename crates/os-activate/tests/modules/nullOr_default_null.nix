# expect: null
with import ./files/t.nix; with lib;
optDefault (types.nullOr types.str) null [ ]
