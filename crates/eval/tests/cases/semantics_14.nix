let lst = [ 1 2 3 ]; in builtins.elemAt lst (builtins.length lst - 1)
