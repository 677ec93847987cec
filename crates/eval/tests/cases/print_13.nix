builtins.listToAttrs [ { name = "a"; value = 1; } ]
