# foldl' over a curried lambda whose body is itself a function, and a non-curried functor-like step.
let step = a: b: if b == 0 then a else a * 10 + b; in [ (builtins.foldl' step 0 [ 1 2 3 0 4 ]) (builtins.foldl' (a: { x }: a + x) 1 [ { x = 2; } { x = 3; } ]) (builtins.sort (a: b: a > b) [ 3 1 2 5 4 ]) (1 + 2.5) ("a" + "b") (2 + 3) ]
