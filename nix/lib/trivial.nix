# Small functions on functions and values.
{ lib }:
{
  id = x: x;
  const = x: _: x;
  flip = f: a: b: f b a;
  # The fixed point of `f`: `fix (self: { a = 1; b = self.a; })`.
  fix = f: let x = f x; in x;
  # `extends overlay f` applies `overlay` on top of the fixed point of `f`.
  extends = overlay: f: final: let prev = f final; in prev // overlay final prev;
  pipe = builtins.foldl' (x: f: f x);
  compose = f: g: x: f (g x);
  boolToString = b: if b then "true" else "false";
  # A functor (a set with `__functor`) counts as a function here, as in nixpkgs.
  isFunction = f: builtins.isFunction f || (f ? __functor && lib.isFunction (f.__functor f));
  functionArgs = f:
    if f ? __functor then f.__functionArgs or (lib.functionArgs (f.__functor f))
    else builtins.functionArgs f;
  setFunctionArgs = f: args: { __functor = _: f; __functionArgs = args; };
  warn = msg: builtins.trace "[1;31mwarning: ${msg}[0m";
  warnIf = cond: msg: if cond then lib.warn msg else x: x;
  throwIf = cond: msg: if cond then throw msg else x: x;
  throwIfNot = cond: msg: if cond then x: x else throw msg;
  min = a: b: if a < b then a else b;
  max = a: b: if a > b then a else b;
  mod = a: b: a - (a / b) * b;
  inherit (builtins)
    isString isInt isBool isAttrs isList isPath isFloat typeOf toString
    seq deepSeq trace tryEval addErrorContext throw abort;
  isStringLike = x: builtins.isString x || builtins.isPath x || x ? outPath || x ? __toString;
  isDerivation = x: builtins.isAttrs x && (x.type or null) == "derivation";
  # A store path (string or path) directly under the store directory.
  isStorePath = x:
    let s = toString x; dir = builtins.storeDir + "/"; in
    lib.isStringLike x && lib.hasPrefix dir s
    && builtins.match "[^/]+" (lib.removePrefix dir s) != null;
  # The first of the arguments that is not null.
  defaultTo = default: x: if x == null then default else x;
  # Compare two values with `<`, for `sort`.
  lessThan = a: b: a < b;
}
