builtins.match "\\n" "n"
