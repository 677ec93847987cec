builtins.findFile [ { path = ./.; prefix = "x"; } ] "y"
