builtins.replaceStrings [ "a" ] [ ] "x"
