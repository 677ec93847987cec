builtins.fromJSON "\"\é\""
