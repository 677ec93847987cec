builtins.toXML { b = [ 1 { c = "x"; } ]; a = { }; e = [ ]; }
