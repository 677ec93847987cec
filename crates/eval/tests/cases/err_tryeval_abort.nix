builtins.tryEval (abort "x")
