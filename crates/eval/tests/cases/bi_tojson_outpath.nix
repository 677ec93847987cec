builtins.toJSON { outPath = "/foo"; x = 1; }
