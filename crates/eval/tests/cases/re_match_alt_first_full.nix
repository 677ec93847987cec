[ (builtins.match "(x|xy)(y|)z" "xyz") (builtins.match "(a|ab)(b|)" "ab") ]
