builtins.toXML { a = 1 + 1; b = [ (2 * 3) ]; c = let x = "y"; in x; }
