let s = { a = [ 1 2 ]; }; in [ s.a s.a ]
