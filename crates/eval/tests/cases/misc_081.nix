builtins.toJSON (-0.0)
