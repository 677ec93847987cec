with { a = 1; }; let b = a; in with { a = 2; }; b
