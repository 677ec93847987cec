# expect: "list of (null or string)"
with import ./files/t.nix; with lib;
(types.listOf (types.nullOr types.str)).description
