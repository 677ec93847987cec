baseNameOf (builtins.findFile [ { path = ./..; prefix = ""; } ] "import_helper.nix")
