let __pos = n: s: let p = builtins.unsafeGetAttrPos n s; in if p == null then null else p // { file = baseNameOf p.file; }; in
let s = rec { a = 1; b = a; }; in __pos "b" s
