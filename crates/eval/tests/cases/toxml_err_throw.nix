builtins.toXML { a = throw "inner boom"; }
