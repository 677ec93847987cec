builtins.map (x: x) [ 1 2 ]
