let
  mkFunctor = f: { __functor = self: x: f (x + self.offset); offset = 10; };
  g = mkFunctor (x: x * 2);
  g2 = g // { offset = 100; };
in [ (g 1) (g2 1) (builtins.isFunction g) (map g [ 0 1 ]) ]
