let __pos = n: s: let p = builtins.unsafeGetAttrPos n s; in if p == null then null else p // { file = baseNameOf p.file; }; in
let s = { ${"dyn"} = 1; "quoted" = 2; }; in [ (__pos "dyn" s) (__pos "quoted" s) ]
