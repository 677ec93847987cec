builtins.elemAt [ 1 ] "a"
