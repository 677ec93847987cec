[ (builtins.match "[^a]" "\n") (builtins.match "[^[:space:]]+" "abc") (builtins.match "[^[:space:]]+" "a c") ]
