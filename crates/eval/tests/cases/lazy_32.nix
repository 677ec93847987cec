with { a = 1 + 1; }; { inherit a; }
