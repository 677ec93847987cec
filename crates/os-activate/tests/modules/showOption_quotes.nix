# expect: "a.\"b.c\".d"
with import ./files/t.nix; with lib;
showOption [ "a" "b.c" "d" ]
