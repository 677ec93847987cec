builtins.match "[" "["
