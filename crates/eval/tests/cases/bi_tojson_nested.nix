builtins.toJSON { b = [ 1 2.5 null true ]; a = { c = "x"; }; }
