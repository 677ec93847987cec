let x = rec { a = b; b = 1; }; in x
