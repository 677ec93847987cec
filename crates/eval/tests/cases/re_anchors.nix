[ (builtins.match "^a$" "a") (builtins.match "x$|y" "y") (builtins.match "$a" "a") (builtins.match "a^" "a") (builtins.match "(^a)" "a") (builtins.match "^(a|^b)+" "ab") ]
