builtins.fromTOML "x = {a = 1, b = {c = 2}}\ny = []\nz = [[1, 2], [\"a\"]]\n"
