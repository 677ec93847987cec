# error: is not of type `package'
with import ./files/t.nix; with lib;
opt types.package [ { x = "hello"; } ]
