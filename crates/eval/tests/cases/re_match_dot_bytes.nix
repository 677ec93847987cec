[ (builtins.match "." "é") (builtins.match ".." "é") (builtins.match ".*" "a\nb") ]
