let
  fix = f: let x = f x; in x;
  extends = f: rattrs: self: let super = rattrs self; in super // f self super;
  foldr = op: nul: list:
    let len = builtins.length list;
        fold' = n: if n == len then nul else op (builtins.elemAt list n) (fold' (n + 1));
    in fold' 0;
  range = first: last: if first > last then [ ] else builtins.genList (n: first + n) (last - first + 1);
  mapAttrsToList = f: attrs: map (name: f name attrs.${name}) (builtins.attrNames attrs);
  filterAttrs = pred: set: builtins.listToAttrs (builtins.concatMap (name: let v = set.${name}; in if pred name v then [ { inherit name; value = v; } ] else [ ]) (builtins.attrNames set));
  recursiveUpdate = lhs: rhs:
    lhs // builtins.mapAttrs (n: v: if builtins.isAttrs v && builtins.isAttrs (lhs.${n} or null) then recursiveUpdate lhs.${n} v else v) rhs;
  optionalString = cond: s: if cond then s else "";
  concatMapStrings = f: list: builtins.concatStringsSep "" (map f list);
  stringToCharacters = s: builtins.genList (p: builtins.substring p 1 s) (builtins.stringLength s);
  toUpper = builtins.replaceStrings [ "a" "b" "c" "d" "e" ] [ "A" "B" "C" "D" "E" ];
  makeOverridable = f: origArgs:
    let result = f origArgs;
    in result // { override = newArgs: makeOverridable f (origArgs // newArgs); };
  pkg = makeOverridable ({ name, version ? "1.0" }: { full = "${name}-${version}"; }) { name = "hello"; };
  base = self: { a = 1; b = self.a + 1; c = self.b * 10; };
  overlay = self: super: { a = 5; d = super.c + 1; };
in {
  fixed = fix (extends overlay base);
  sum = foldr (a: b: a + b) 0 (range 1 100);
  pairs = mapAttrsToList (n: v: "${n}=${toString v}") { x = 1; y = 2; };
  filtered = filterAttrs (n: v: v > 1) { a = 1; b = 2; c = 3; };
  merged = recursiveUpdate { a = { b = 1; c = 2; }; d = 3; } { a = { c = 20; e = 5; }; f = 6; };
  opt = [ (optionalString true "yes") (optionalString false "no") ];
  chars = concatMapStrings (c: "[${c}]") (stringToCharacters "abc");
  upper = toUpper "abcdef";
  pkgs = [ pkg.full (pkg.override { version = "2.0"; }).full ((pkg.override { name = "x"; }).override { version = "3"; }).full ];
  versions = builtins.sort (a: b: builtins.compareVersions a b < 0) [ "1.10" "1.2" "1.9.1" "1.9" "2.0pre1" "2.0" ];
}
