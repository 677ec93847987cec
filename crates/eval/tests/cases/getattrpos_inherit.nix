let __pos = n: s: let p = builtins.unsafeGetAttrPos n s; in if p == null then null else p // { file = baseNameOf p.file; }; in
let b = 1; c = 2; a = { inherit   b c; inherit ({ x = 1; }) x; }; in map (n: __pos n a) [ "b" "c" "x" ]
