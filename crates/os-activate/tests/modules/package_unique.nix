# error: is defined multiple times
with import ./files/t.nix; with lib;
opt types.package [ { x = "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-pkg"; } { x = "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-pkg"; } ]
