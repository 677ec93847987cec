builtins.filter builtins.isString (builtins.split "[[:space:]]+" "  the quick   brown fox ")
