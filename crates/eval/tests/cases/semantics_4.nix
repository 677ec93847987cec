let inherit (builtins) map length; in length (map (x: x) [ 1 2 ])
