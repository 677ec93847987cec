builtins.split "\n" "one\ntwo
three\n"
