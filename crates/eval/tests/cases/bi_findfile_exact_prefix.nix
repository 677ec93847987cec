baseNameOf (builtins.findFile [ { path = ../import_helper.nix; prefix = "helper"; } ] "helper")
