builtins.addErrorContext "ctx" (1 + 1)
