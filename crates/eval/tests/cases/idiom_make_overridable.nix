let
  makeOverridable = f: origArgs:
    let
      result = f origArgs;
      overrideWith = newArgs: origArgs // (if builtins.isFunction newArgs then newArgs origArgs else newArgs);
    in
    if builtins.isAttrs result then
      result // {
        override = newArgs: makeOverridable f (overrideWith newArgs);
      }
    else result;
  mkPkg = { name, version ? "1.0", deps ? [ ] }: { inherit name version; full = "${name}-${version}"; ndeps = builtins.length deps; };
  p = makeOverridable mkPkg { name = "foo"; };
  p2 = p.override { version = "2.0"; };
  p3 = p2.override (old: { deps = [ old.name ]; });
in [ p.full p2.full p3.full p3.ndeps (p3 ? override) ]
