"${builtins.toJSON { a = [ 1 2 ]; }}"
