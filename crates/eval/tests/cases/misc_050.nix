builtins.replaceStrings [ ] [ ] "ab"
