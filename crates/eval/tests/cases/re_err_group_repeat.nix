builtins.match "(*a)" "a"
