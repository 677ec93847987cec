builtins.removeAttrs { a = 1 + 1; b = 1; } [ "b" ]
