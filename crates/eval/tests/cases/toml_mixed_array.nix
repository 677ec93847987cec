builtins.fromTOML "a = [1, \"x\", 2.5, true, {k = 1}]\n"
