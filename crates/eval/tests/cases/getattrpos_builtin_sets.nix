let __pos = n: s: let p = builtins.unsafeGetAttrPos n s; in if p == null then null else p // { file = baseNameOf p.file; }; in
[ (__pos "x" (builtins.mapAttrs (n: v: v) { x = 1; })) (__pos "x" (builtins.removeAttrs { x = 1; y = 2; } [ "y" ])) (__pos "x" (builtins.intersectAttrs { x = 0; } { x = 1; })) ]
