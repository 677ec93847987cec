builtins.split "((a)(b)?)" "cabad"
