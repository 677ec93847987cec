# expect: 60
with import ./files/t.nix; with lib;
(mkImageMediaOverride 1).priority
