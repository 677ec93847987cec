# `//` of a large set with small ones, many times over (shared bases),
# then everything that walks or compares the result.
let
  big = builtins.listToAttrs (builtins.genList (i: { name = "k${toString i}"; value = i; }) 100);
  step = s: j: s // { "k${toString (j * 7)}" = -j; "new${toString j}" = j; } // builtins.listToAttrs [ { name = "k${toString j}"; value = j * 100; } ];
  layered = builtins.foldl' step big (builtins.genList (j: j) 20);
  flat = builtins.listToAttrs (map (n: { name = n; value = layered.${n}; }) (builtins.attrNames layered));
in {
  n = builtins.length (builtins.attrNames layered);
  names = builtins.concatStringsSep "," (builtins.attrNames layered);
  values = builtins.attrValues layered;
  k0 = layered.k0;
  k14 = layered.k14;
  k133 = layered.new19 or "missing";
  has = [ (layered ? k99) (layered ? new0) (layered ? nope) ];
  same = layered == flat;
  removed = builtins.attrNames (builtins.removeAttrs layered [ "k1" "new3" ]);
  inter = builtins.intersectAttrs { k5 = null; new2 = null; zz = null; } layered;
  mapped = builtins.attrValues (builtins.mapAttrs (k: v: v + 1) layered);
  over = (layered // big).k7;
  back = big // layered == layered;
  json = builtins.toJSON layered;
}
