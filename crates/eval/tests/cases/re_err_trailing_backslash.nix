builtins.match "a\\" "a"
