builtins.typeOf (builtins.genList (x: x) 3)
