builtins.genericClosure { startSet = [ { key = 1; v = "int"; } { key = 1.0; v = "float"; } { key = 2.5; v = "f2"; } { key = 2; v = "i2"; } ]; operator = x: [ ]; }
