builtins.intersectAttrs { a = 1; } { a = 1 + 1; }
