builtins.partition (x: true) [ 1 ]
