let
  foldr = op: nul: list:
    let len = builtins.length list; fold' = n: if n == len then nul else op (builtins.elemAt list n) (fold' (n + 1)); in fold' 0;
  range = first: last: if first > last then [ ] else builtins.genList (n: first + n) (last - first + 1);
  unique = builtins.foldl' (acc: e: if builtins.elem e acc then acc else acc ++ [ e ]) [ ];
  zipListsWith = f: fst: snd: builtins.genList (n: f (builtins.elemAt fst n) (builtins.elemAt snd n)) (if builtins.length fst < builtins.length snd then builtins.length fst else builtins.length snd);
  reverseList = xs: let l = builtins.length xs; in builtins.genList (n: builtins.elemAt xs (l - n - 1)) l;
  imap1 = f: list: builtins.genList (n: f (n + 1) (builtins.elemAt list n)) (builtins.length list);
  last = list: builtins.elemAt list (builtins.length list - 1);
  take = count: list: builtins.genList (builtins.elemAt list) (if count < builtins.length list then count else builtins.length list);
in [
  (foldr (a: b: "(${toString a} ${b})") "nil" [ 1 2 3 ])
  (range 3 7) (range 5 1)
  (unique [ 1 2 1 3 2 4 ])
  (zipListsWith (a: b: a + b) [ 1 2 3 ] [ 10 20 ])
  (reverseList [ 1 2 3 ]) (imap1 (i: v: "${toString i}:${v}") [ "a" "b" ])
  (last [ 1 2 3 ]) (take 2 [ "x" "y" "z" ])
  (builtins.sort builtins.lessThan (unique [ 5 3 5 1 3 ]))
]
