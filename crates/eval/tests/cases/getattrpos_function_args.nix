let
  __pos = n: s: let p = builtins.unsafeGetAttrPos n s; in if p == null then null else p // { file = baseNameOf p.file; };
  f = { a,
    /* é */ b ? 1, ... }@args: a;
  g = { zz, y ? 2 }: zz;
  fa = builtins.functionArgs f;
  # nixpkgs' callPackageWith names the formal's file and line like this
  loc = arg: fn: let l = builtins.unsafeGetAttrPos arg (builtins.functionArgs fn); in if l == null then "<unknown location>" else baseNameOf l.file + ":" + toString l.line;
in [
  (__pos "a" fa) (__pos "b" fa) (__pos "args" fa)
  (__pos "y" (builtins.functionArgs g)) (__pos "zz" (builtins.functionArgs g))
  (__pos "x" (builtins.functionArgs (x: x)))
  (loc "zz" g) (loc "a" f)
  (__pos "a" (builtins.functionArgs f // { c = 1; }))
]
