[ (builtins.substring 0 0 "abc") (builtins.substring 1 100 "abc") (builtins.substring 3 1 "abc") (builtins.substring 5 1 "abc") (builtins.substring 1 (-1) "abcdef") ]
