[ (builtins.match "[é]" "é") (builtins.match "[é]+" "é") (builtins.match "[^é]*" "abc") ]
