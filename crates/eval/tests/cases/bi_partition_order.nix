builtins.partition (x: x > 2) [ 5 1 4 2 3 ]
