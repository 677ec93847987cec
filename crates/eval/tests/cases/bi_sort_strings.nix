builtins.sort (a: b: a < b) [ "banana" "apple" "cherry" "Apple" ]
