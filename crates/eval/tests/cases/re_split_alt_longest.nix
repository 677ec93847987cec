[ (builtins.split "a|ab" "xabx") (builtins.split "b|bc|bcd" "abcde") (builtins.split "(a|ab)(c|bcd)?" "xabcdx") (builtins.split "[0-9]+|[a-z]+" "ab12cd3") ]
