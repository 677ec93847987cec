[ (builtins.add 1) ]
