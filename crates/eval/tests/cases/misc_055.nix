builtins.listToAttrs [ { name = "a b"; value = 1; } ]
