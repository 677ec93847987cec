# Helpers for attribute sets.
{ lib }:
let
  inherit (builtins) attrNames getAttr hasAttr listToAttrs mapAttrs filter length head tail zipAttrsWith;
in
{
  inherit (builtins) attrNames attrValues hasAttr getAttr listToAttrs mapAttrs removeAttrs
    intersectAttrs catAttrs zipAttrsWith functionArgs;
  nameValuePair = name: value: { inherit name value; };
  # The value at `path` in `set`, or `default` when a step is missing.
  attrByPath = path: default: set:
    if path == [ ] then set
    else
      let n = head path; in
      if builtins.isAttrs set && set ? ${n} then lib.attrByPath (tail path) default set.${n}
      else default;
  hasAttrByPath = path: set:
    path == [ ] || (builtins.isAttrs set && set ? ${head path} && lib.hasAttrByPath (tail path) set.${head path});
  getAttrFromPath = path: set:
    lib.attrByPath path (throw "cannot find attribute `${lib.concatStringsSep "." path}'") set;
  # `{ a.b = value; }` from [ "a" "b" ] and value.
  setAttrByPath = path: value:
    if path == [ ] then value else { ${head path} = lib.setAttrByPath (tail path) value; };
  filterAttrs = pred: set:
    listToAttrs (lib.concatMap (n: let v = set.${n}; in if pred n v then [ { name = n; value = v; } ] else [ ]) (attrNames set));
  mapAttrs' = f: set: listToAttrs (map (n: f n set.${n}) (attrNames set));
  mapAttrsToList = f: set: map (n: f n set.${n}) (attrNames set);
  attrsToList = set: lib.mapAttrsToList lib.nameValuePair set;
  concatMapAttrs = f: set: builtins.foldl' (acc: x: acc // x) { } (lib.mapAttrsToList f set);
  genAttrs = names: f: listToAttrs (map (n: { name = n; value = f n; }) names);
  # Maps the leaves (values `cond` stops at) of nested sets, passing the path.
  mapAttrsRecursiveCond = cond: f: set:
    let
      go = path: s: mapAttrs (n: v:
        if builtins.isAttrs v && cond v then go (path ++ [ n ]) v else f (path ++ [ n ]) v) s;
    in go [ ] set;
  mapAttrsRecursive = f: set: lib.mapAttrsRecursiveCond (_: true) f set;
  # Merges nested sets; `pred path l r` says where to stop and take the right value.
  recursiveUpdateUntil = pred: lhs: rhs:
    let
      go = path: l: r: zipAttrsWith (n: vs:
        let p = path ++ [ n ]; in
        if length vs == 1 then head vs
        else if builtins.isAttrs (builtins.elemAt vs 0) && builtins.isAttrs (builtins.elemAt vs 1)
          && !(pred p (builtins.elemAt vs 0) (builtins.elemAt vs 1))
        then go p (builtins.elemAt vs 0) (builtins.elemAt vs 1)
        else builtins.elemAt vs 1) [ l r ];
    in go [ ] lhs rhs;
  recursiveUpdate = lhs: rhs:
    lib.recursiveUpdateUntil (_: l: r: !(builtins.isAttrs l && builtins.isAttrs r) || lib.isDerivation l || lib.isDerivation r) lhs rhs;
  zipAttrs = sets: zipAttrsWith (_: vs: vs) sets;
  foldAttrs = op: nul: sets:
    builtins.foldl' (acc: s: builtins.foldl' (a: n: a // { ${n} = op s.${n} (a.${n} or nul); }) acc (attrNames s)) { } (lib.reverseList sets);
  optionalAttrs = cond: set: if cond then set else { };
  # The attribute values of `set` named in `names` (those that exist).
  attrVals = names: set: map (n: set.${n}) names;
  getAttrs = names: set: listToAttrs (map (n: { name = n; value = set.${n}; }) names);
  collect = pred: v:
    if pred v then [ v ]
    else if builtins.isAttrs v then lib.concatMap (lib.collect pred) (builtins.attrValues v)
    else [ ];
  updateManyAttrsByPath = throw "updateManyAttrsByPath is not provided by cairn's lib";
}
