let
  n = 2000;
  big = builtins.listToAttrs (builtins.genList (i: { name = "k${toString i}"; value = i; }) n);
  doubled = builtins.mapAttrs (k: v: v * 2) big;
  total = builtins.foldl' (a: b: a + b) 0 (builtins.attrValues doubled);
  updated = big // { k0 = -1; extra = 1; };
in { inherit total; len = builtins.length (builtins.attrNames updated); k0 = updated.k0; first = builtins.head (builtins.attrNames big); }
