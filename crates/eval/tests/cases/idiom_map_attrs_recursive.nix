let
  mapAttrsRecursiveCond = cond: f: set:
    let
      recurse = path: builtins.mapAttrs (name: value:
        if builtins.isAttrs value && cond value then recurse (path ++ [ name ]) value
        else f (path ++ [ name ]) value);
    in recurse [ ] set;
  mapAttrsRecursive = mapAttrsRecursiveCond (as: true);
in mapAttrsRecursive (path: value: builtins.concatStringsSep "." path + "=" + toString value)
  { a = { b = 1; c = { d = 2; }; }; e = 3; f = [ 1 2 ]; }
