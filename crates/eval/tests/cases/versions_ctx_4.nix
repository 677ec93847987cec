builtins.hasContext "abc"
