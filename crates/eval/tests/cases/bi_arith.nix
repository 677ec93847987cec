with builtins; [ (add 1 2) (sub 5 3) (mul 4 5) (div 9 2) (add 1.5 1) (lessThan 1 2) (lessThan "b" "a") ]
