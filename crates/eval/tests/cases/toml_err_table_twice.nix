builtins.fromTOML "[a]\nx = 1\n[a]\ny = 2\n"
