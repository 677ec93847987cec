baseNameOf (builtins.findFile [ { path = ./..; prefix = "tests"; } ] "tests/import_helper.nix")
