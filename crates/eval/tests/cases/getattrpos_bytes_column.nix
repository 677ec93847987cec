let __pos = n: s: let p = builtins.unsafeGetAttrPos n s; in if p == null then null else p // { file = baseNameOf p.file; }; in
let s = { "é" = 1; b = 2; }; in __pos "b" s
