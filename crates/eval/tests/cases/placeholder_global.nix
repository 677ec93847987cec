[ (placeholder "out") (placeholder "dev" == builtins.placeholder "dev") ]
