builtins.sort (a: b: a > b) (builtins.genList (x: x * 7 - (x / 3) * 20) 20)
