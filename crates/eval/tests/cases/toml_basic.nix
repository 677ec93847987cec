builtins.fromTOML "a = 1\nb = 2.5\nc = \"x\"\nd = true\ne = [1, 2]\n"
