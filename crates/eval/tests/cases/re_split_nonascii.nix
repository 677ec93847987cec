[ (builtins.split "é" "aéb") (builtins.split "[[:space:]]" "é ü") ]
