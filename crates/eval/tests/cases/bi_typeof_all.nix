map builtins.typeOf [ 1 1.0 "s" ./. null true [ ] { } (x: x) builtins.map (builtins.map (x: x)) ]
