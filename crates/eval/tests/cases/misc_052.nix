let x = builtins.trace "t" 1; in x + x
