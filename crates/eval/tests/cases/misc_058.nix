builtins.genericClosure { startSet = [ { key = "a"; } { key = "b"; } { key = "a"; } ]; operator = x: [ ]; }
