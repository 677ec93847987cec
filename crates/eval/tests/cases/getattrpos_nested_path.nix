let __pos = n: s: let p = builtins.unsafeGetAttrPos n s; in if p == null then null else p // { file = baseNameOf p.file; }; in
let s = { x.y.z = 1; x.w = 2; }; in [ (__pos "x" s) (__pos "y" s.x) (__pos "z" s.x.y) (__pos "w" s.x) ]
