[ (builtins.split "(a)|b" "xaby") (builtins.split "(,)|(;)" "a,b;c") (builtins.split "([[:space:]]+)" " a  b\tc\n") ]
