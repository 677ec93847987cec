[ (builtins.all (x: x) [ ]) (builtins.any (x: x) [ ]) ]
