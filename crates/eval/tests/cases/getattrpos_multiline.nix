let __pos = n: s: let p = builtins.unsafeGetAttrPos n s; in if p == null then null else p // { file = baseNameOf p.file; }; in
let s = {

    deep =
      1;
}; in (__pos "deep" s).line
