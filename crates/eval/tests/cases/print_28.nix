builtins.tail [ 1 (1 + 1) ]
