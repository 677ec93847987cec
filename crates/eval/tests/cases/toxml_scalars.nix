map builtins.toXML [ 1 (-3) 1.5 true false null "s" (builtins.substring 0 1 (toString ./.)) ]
