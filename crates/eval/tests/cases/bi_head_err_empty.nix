builtins.head [ ]
