let x = [ 1 2 3 ]; in [ x (builtins.head [ x ]) (x ++ [ ]) ]
