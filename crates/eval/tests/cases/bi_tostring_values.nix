map toString [ 1 1.5 true false null "s" [ 1 [ 2 "x" ] null ] (builtins.substring 0 1 (toString ./.)) ]
