builtins.foldl' (a: b: a // { ${b} = true; }) { } [ "x" "y" "x" ]
