# expect: "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-pkg"
with import ./files/t.nix; with lib;
opt types.package [ { x = "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-pkg"; } ]
