[ (builtins.split "" "ab") (builtins.split "a*" "baaac") (builtins.split "b*" "abba") (builtins.split "$" "ab") ]
