builtins.toXML [ 0.1 1.0e30 1.0e-7 123456789.0 100.0 ]
