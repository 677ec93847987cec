with { x = 1; }; rec { y = x + 1; }
