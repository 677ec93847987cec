builtins.match "[[:space:]]*(.*[^[:space:]])[[:space:]]*" "  hello world \n"
