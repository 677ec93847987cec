builtins.fromTOML "[[arr]]\nq = 1\n[[arr]]\nq = 2\n[[arr.sub]]\nr = 3\n"
