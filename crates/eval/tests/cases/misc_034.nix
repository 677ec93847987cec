(let a = { b = 1; }; in a.b or 2)
