# expect: 10
with import ./files/t.nix; with lib;
(mkVMOverride 1).priority
