builtins.fromTOML "# comment\na = 1 # trailing\n\n[s] # table comment\nb = 2\n"
