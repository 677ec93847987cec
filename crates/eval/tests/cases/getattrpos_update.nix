let __pos = n: s: let p = builtins.unsafeGetAttrPos n s; in if p == null then null else p // { file = baseNameOf p.file; }; in
let a = { x = 1; y = 2; }; b = { y = 3; }; in map (n: __pos n (a // b)) [ "x" "y" ]
