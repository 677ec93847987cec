builtins.filter (x: true) [ (1 + 1) ]
