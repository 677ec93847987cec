(a: b: c: a * b + c) 3 4 5
