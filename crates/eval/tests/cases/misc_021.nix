let s = { x = 1; }; in s // { y = s; }
