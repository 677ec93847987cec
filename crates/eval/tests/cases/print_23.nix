let a = { x = 1 + 1; }; in a // { }
