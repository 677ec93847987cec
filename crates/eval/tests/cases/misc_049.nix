builtins.replaceStrings [ "" "a" ] [ "X" "Y" ] "ab"
