with { a = 1; }; with { b = a; }; b
