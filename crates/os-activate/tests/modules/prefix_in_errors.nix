# expect: "x.a.b"
with import ./files/t.nix; with lib;
showOption [ "x" "a" "b" ]
