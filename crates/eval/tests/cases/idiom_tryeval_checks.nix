let
  isValid = x: (builtins.tryEval x).success;
  checked = assertion: msg: value: if assertion then value else throw msg;
  safeDiv = a: b: checked (b != 0) "division by zero requested" (a / b);
in [
  (isValid (safeDiv 4 2)) (isValid (safeDiv 1 0))
  (builtins.tryEval (safeDiv 9 3))
  (isValid (assert 1 == 2; true))
  (map (x: (builtins.tryEval (if x > 2 then throw "big" else x)).value) [ 1 2 3 ])
  (isValid (builtins.deepSeq [ 1 (throw "deep") ] 1))
]
