[ (builtins.split "^a" "aaa") (builtins.split "^" "ab") (builtins.split "a$" "aaa") ]
