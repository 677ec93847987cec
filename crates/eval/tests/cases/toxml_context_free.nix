builtins.hasContext (builtins.toXML { a = "x"; })
