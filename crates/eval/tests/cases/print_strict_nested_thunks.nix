let f = x: { inherit x; y = [ x (x + 1) ]; }; in f 1
