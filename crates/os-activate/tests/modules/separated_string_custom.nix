# expect: "a::b"
with import ./files/t.nix; with lib;
opt (types.separatedString "::") [ { x = "a"; } { x = "b"; } ]
