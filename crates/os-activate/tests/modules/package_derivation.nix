# expect: "pkg"
with import ./files/t.nix; with lib;
(opt types.package [ { x = { type = "derivation"; name = "pkg"; outPath = "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-pkg"; }; } ]).name
