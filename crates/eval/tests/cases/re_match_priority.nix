[ (builtins.match "(a|ab)(c|bcd)(d*)" "abcd") (builtins.match "(.*)\\.(.*)" "foo.bar.baz") (builtins.match "(.*?)x" "aax") (builtins.match "(a{2,3})(a*)" "aaaaa") ]
