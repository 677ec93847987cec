let x = { a = 1; }; in { a = x; b = [ x ]; c = x // { }; }
