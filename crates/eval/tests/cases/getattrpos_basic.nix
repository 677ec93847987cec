let __pos = n: s: let p = builtins.unsafeGetAttrPos n s; in if p == null then null else p // { file = baseNameOf p.file; }; in
let s = { a = 1;
  bb = 2; }; in [ (__pos "a" s) (__pos "bb" s) (__pos "zz" s) ]
