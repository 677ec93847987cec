[ (builtins.match "(a)|(b)" "b") (builtins.match "(a)?(b)" "b") (builtins.match "(x)*y" "y") ]
