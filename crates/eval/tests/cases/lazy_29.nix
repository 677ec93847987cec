builtins.groupBy (x: "a") [ (1 + 1) ]
