[ (builtins.functionArgs (x: x)) (builtins.functionArgs ({ a, b ? 1 }: a)) (builtins.functionArgs ({ ... }: 1)) (builtins.functionArgs builtins.map) ]
