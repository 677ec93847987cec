builtins.isPath (./. + "a")
