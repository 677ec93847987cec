let v = { a = [ 1 2 { b = "c"; } ]; d = false; }; in builtins.fromJSON (builtins.toJSON v) == v
