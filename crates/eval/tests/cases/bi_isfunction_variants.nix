map builtins.isFunction [ (x: x) builtins.map (builtins.map (x: x)) { __functor = s: x: x; } 1 ]
