builtins.toJSON { a = 1; b = [ true null "s\n\"q" ]; c = 1.5; d = { }; e = [ ]; }
