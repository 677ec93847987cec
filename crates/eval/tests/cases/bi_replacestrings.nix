builtins.replaceStrings [ "a" "b" ] [ "A" "BB" ] "abcabc"
