# expect: "attribute set of submodule"
with import ./files/t.nix; with lib;
(types.attrsOf (types.submodule { })).description
