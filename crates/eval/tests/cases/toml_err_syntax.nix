builtins.fromTOML "bad\n"
