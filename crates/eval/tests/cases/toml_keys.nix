builtins.fromTOML "\"quoted key\" = 1\n\"a.b\" = 2\nbare-key_1 = 3\n'lit key' = 4\n"
