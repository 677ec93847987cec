builtins.replaceStrings [ "ab" "a" ] [ "X" "Y" ] "aabab"
