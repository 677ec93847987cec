let a = throw "never"; b = 2; in b
