builtins.match ")" ")"
