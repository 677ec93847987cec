builtins.isAttrs (builtins.tryEval 1)
