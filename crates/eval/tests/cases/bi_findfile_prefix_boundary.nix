builtins.tryEval (builtins.findFile [ { path = ./.; prefix = "cas"; } ] "cases/import_helper.nix")
