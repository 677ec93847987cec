builtins.replaceStrings [ "a" "aa" "b" ] [ "1" "2" "" ] "aaab ba"
