builtins.intersectAttrs { a = 0; c = 0; } { a = 1; b = 2; c = 3; }
