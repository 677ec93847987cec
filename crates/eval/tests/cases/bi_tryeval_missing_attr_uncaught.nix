builtins.tryEval ({ }.x)
