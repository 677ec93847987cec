[ (builtins.pathExists ./.) (builtins.pathExists ./nope) (builtins.pathExists "/") ]
