builtins.sort (a: b: a.k < b.k) [ { k = 3; v = "a"; } { k = 1; v = "b"; } { k = 3; v = "c"; } { k = 2; v = "d"; } ]
