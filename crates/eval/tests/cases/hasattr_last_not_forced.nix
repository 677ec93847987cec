# `?` forces the sets along its path but never the value it finds last,
# so a set may ask whether it has the attribute being defined.
let
  fix = f: let x = f x; in x;
in
{
  self = fix (x: { a = if x ? a then "a" else "b"; });
  selfLet = let x = { a = x ? a; b = x ? c; }; in x;
  nested = let x = { a.b = x ? a.b; }; in x;
  thrownLast = { a.b = throw "not forced"; } ? a.b;
  missingMiddle = { a = 1; } ? a.b;
  dynamic = let n = "a"; x = { a = x ? ${n}; }; in x;
}
