# A long chain of overlays applied one at a time through an `extend`
# attribute that rebuilds the fixpoint (makeExtensible's shape).
let
  fix = f: let x = f x; in x;
  extends = ov: f: final: let prev = f final; in prev // ov final prev;
  extensible = rattrs: fix (self: rattrs self // {
    extend = ov: extensible (extends ov rattrs);
  });
  base = extensible (self: { total = 0; names = [ ]; doubled = self.total * 2; });
  step = acc: i: acc.extend (final: prev: {
    total = prev.total + i;
    names = prev.names ++ [ "n${toString i}" ];
    "a${toString i}" = final.total;
  });
  result = builtins.foldl' step base (builtins.genList (i: i + 1) 150);
in
{
  inherit (result) total doubled a1 a150;
  count = builtins.length result.names;
  last = builtins.elemAt result.names 149;
}
