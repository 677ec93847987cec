# Merging a list of sets by splitting the index range in halves, so
# later sets win as with a left fold of `//`.
let
  mergeAll = list:
    let
      go = lo: hi:
        if hi - lo >= 2 then
          let mid = lo + (hi - lo) / 2; in go lo mid // go mid hi
        else builtins.elemAt list lo;
    in if list == [ ] then { } else go 0 (builtins.length list);
  sets = builtins.genList (i: { "k${toString (i - (i / 5) * 5)}" = i; last = i; }) 23;
in
{
  merged = mergeAll sets;
  sameAsFold = mergeAll sets == builtins.foldl' (a: b: a // b) { } sets;
  empty = mergeAll [ ];
  one = mergeAll [ { x = 1; } ];
}
