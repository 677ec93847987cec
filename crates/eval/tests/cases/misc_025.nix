builtins.toJSON [ 0.1 1.0 1.5e300 "é\u0001" ]
