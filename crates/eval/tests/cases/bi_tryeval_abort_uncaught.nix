builtins.tryEval (abort "fatal")
