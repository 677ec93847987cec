builtins.addErrorContext "while doing things" (throw "inner")
