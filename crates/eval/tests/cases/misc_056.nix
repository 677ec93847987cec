builtins.attrValues { b = { }; a = [ ]; }
