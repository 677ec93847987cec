builtins.match "[^]" "a"
