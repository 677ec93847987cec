let
  fix = f: let x = f x; in x;
  s = fix (self: {
    fibs = builtins.genList (n: if n < 2 then n else builtins.elemAt self.fibs (n - 1) + builtins.elemAt self.fibs (n - 2)) 40;
    evens = builtins.filter (x: builtins.bitAnd x 1 == 0) self.fibs;
    count = builtins.length self.evens;
  });
in { inherit (s) count; last = builtins.elemAt s.fibs 39; }
