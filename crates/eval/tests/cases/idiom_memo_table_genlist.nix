# Edit distance memoised through a lazily built table of lists whose
# cells refer back to the table (the shape of lib.strings.levenshtein).
let
  editDistance = a: b:
    let
      la = builtins.stringLength a;
      lb = builtins.stringLength b;
      at = s: i: builtins.substring i 1 s;
      min2 = x: y: if x < y then x else y;
      table = builtins.genList (i: builtins.genList (j: cell i j) (lb + 1)) (la + 1);
      get = i: j: builtins.elemAt (builtins.elemAt table i) j;
      cell = i: j:
        if i == 0 then j
        else if j == 0 then i
        else
          let cost = if at a (i - 1) == at b (j - 1) then 0 else 1;
          in min2 (min2 (get (i - 1) j + 1) (get i (j - 1) + 1)) (get (i - 1) (j - 1) + cost);
    in get la lb;
in
map (p: editDistance p.a p.b) [
  { a = ""; b = ""; }
  { a = "abc"; b = ""; }
  { a = "kitten"; b = "sitting"; }
  { a = "flaw"; b = "lawn"; }
  { a = "same"; b = "same"; }
  { a = "Hello"; b = "hello world"; }
]
