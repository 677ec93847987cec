[ builtins.true builtins.null ]
