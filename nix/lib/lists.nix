# Helpers for lists.
{ lib }:
let
  inherit (builtins) length elemAt head tail foldl' genList filter;
in
{
  inherit (builtins) head tail length elemAt filter elem concatLists genList sort partition all any map;
  concatMap = builtins.concatMap;
  foldl = op: nul: list: foldl' op nul list;
  inherit foldl';
  foldr = op: nul: list:
    let n = length list; go = i: if i == n then nul else op (elemAt list i) (go (i + 1)); in go 0;
  imap0 = f: list: genList (i: f i (elemAt list i)) (length list);
  imap1 = f: list: genList (i: f (i + 1) (elemAt list i)) (length list);
  singleton = x: [ x ];
  toList = x: if builtins.isList x then x else [ x ];
  optional = cond: x: if cond then [ x ] else [ ];
  optionals = cond: xs: if cond then xs else [ ];
  range = first: last: if first > last then [ ] else genList (i: first + i) (last - first + 1);
  reverseList = xs: let n = length xs; in genList (i: elemAt xs (n - i - 1)) n;
  last = xs: elemAt xs (length xs - 1);
  init = xs: genList (i: elemAt xs i) (length xs - 1);
  take = n: xs: genList (i: elemAt xs i) (lib.min n (length xs));
  drop = n: xs: let l = length xs; in genList (i: elemAt xs (i + n)) (lib.max 0 (l - n));
  sublist = start: count: xs:
    let l = length xs; s = lib.min start l; c = lib.min count (l - s); in genList (i: elemAt xs (s + i)) c;
  count = pred: xs: foldl' (c: x: if pred x then c + 1 else c) 0 xs;
  findFirst = pred: default: xs:
    let found = filter pred xs; in if found == [ ] then default else head found;
  # Removes later duplicates, keeping the first occurrence.
  unique = foldl' (acc: x: if builtins.elem x acc then acc else acc ++ [ x ]) [ ];
  flatten = x: if builtins.isList x then builtins.concatMap lib.flatten x else [ x ];
  remove = e: filter (x: x != e);
  zipListsWith = f: a: b: genList (i: f (elemAt a i) (elemAt b i)) (lib.min (length a) (length b));
  zipLists = lib.zipListsWith (fst: snd: { inherit fst snd; });
  # Stable sort: `builtins.sort` is stable in Nix, and we rely on that.
  sortOn = f: xs: map (p: p.x) (builtins.sort (a: b: a.k < b.k) (map (x: { inherit x; k = f x; }) xs));
  groupBy = builtins.groupBy;
  subtractLists = e: filter (x: !(builtins.elem x e));
  intersectLists = e: filter (x: builtins.elem x e);
  mutuallyExclusive = a: b: length a == 0 || !(builtins.any (x: builtins.elem x a) b);
  ifilter0 = pred: xs: map (i: elemAt xs i) (filter (i: pred i (elemAt xs i)) (genList (i: i) (length xs)));
  listDfs = throw "listDfs is not provided by cairn's lib";
  toposort = throw "toposort is not provided by cairn's lib";
}
