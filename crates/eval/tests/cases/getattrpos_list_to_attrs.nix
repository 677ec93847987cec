let
  __pos = n: s: let p = builtins.unsafeGetAttrPos n s; in if p == null then null else p // { file = baseNameOf p.file; };
  nv = name: value: { inherit name value; };
  s = builtins.listToAttrs [
    { name = "a"; value = 1; }
    (nv "b" 2)
    { value = 3;
      name = "a"; }
    { name = "c"; /* é */ value = 4; }
    (builtins.listToAttrs [ { name = "name"; value = "d"; } ] // { value = 5; })
    ({ name = "e"; } // builtins.listToAttrs [ { name = "value"; value = 6; } ])
  ];
in [ (__pos "a" s) (__pos "b" s) (__pos "c" s) (__pos "d" s) (__pos "e" s) s
  (__pos "a" (s // { z = 1; })) (__pos "f" (builtins.listToAttrs (map (n: nv n n) [ "f" ]))) ]
