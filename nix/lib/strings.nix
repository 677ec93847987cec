# Helpers for strings.
{ lib }:
let
  inherit (builtins) stringLength substring concatStringsSep length;
in
{
  inherit (builtins) concatStringsSep stringLength substring replaceStrings match split;
  concatStrings = concatStringsSep "";
  concatMapStrings = f: list: concatStringsSep "" (map f list);
  concatMapStringsSep = sep: f: list: concatStringsSep sep (map f list);
  concatLines = list: lib.concatMapStrings (s: s + "\n") list;
  hasPrefix = pre: s: substring 0 (stringLength pre) s == pre;
  hasSuffix = suf: s:
    let ls = stringLength s; lf = stringLength suf; in
    lf <= ls && substring (ls - lf) lf s == suf;
  hasInfix = infix: s: builtins.match ".*${lib.escapeRegex infix}.*" s != null;
  removePrefix = pre: s:
    if lib.hasPrefix pre s then substring (stringLength pre) (stringLength s - stringLength pre) s else s;
  removeSuffix = suf: s:
    if lib.hasSuffix suf s then substring 0 (stringLength s - stringLength suf) s else s;
  optionalString = cond: s: if cond then s else "";
  stringToCharacters = s: builtins.genList (i: substring i 1 s) (stringLength s);
  escapeRegex = s: lib.concatMapStrings (c: if builtins.elem c [ "\\" "[" "]" "{" "}" "(" ")" "." "*" "+" "?" "^" "$" "|" ] then "\\" + c else c) (lib.stringToCharacters s);
  # The pieces of `s` between occurrences of the separator `sep` (a plain string).
  splitString = sep: s: builtins.filter builtins.isString (builtins.split (lib.escapeRegex sep) s);
  toUpper = builtins.replaceStrings lib.lowerChars lib.upperChars;
  toLower = builtins.replaceStrings lib.upperChars lib.lowerChars;
  lowerChars = lib.stringToCharacters "abcdefghijklmnopqrstuvwxyz";
  upperChars = lib.stringToCharacters "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  # Quotes `s` for a POSIX shell.
  escapeShellArg = s: "'${builtins.replaceStrings [ "'" ] [ "'\\''" ] (toString s)}'";
  escapeShellArgs = list: concatStringsSep " " (map lib.escapeShellArg list);
  fixedWidthString = width: filler: s:
    let l = stringLength s; in
    if l >= width then s else lib.fixedWidthString width filler (filler + s);
  fixedWidthNumber = width: n: lib.fixedWidthString width "0" (toString n);
  strings = { inherit (lib) hasPrefix hasSuffix concatStringsSep; };
  trim = s:
    let m = builtins.match "[[:space:]]*(.*[^[:space:]])[[:space:]]*" s; in
    if m == null then "" else builtins.head m;
  makeBinPath = dirs: concatStringsSep ":" (map (d: "${d}/bin") dirs);
  makeSearchPath = sub: dirs: concatStringsSep ":" (map (d: "${d}/${sub}") dirs);
  # The name of a derivation or string, without its store hash.
  getName = x: (builtins.parseDrvName (x.name or x)).name;
  toInt = s:
    let v = builtins.fromJSON s; in
    if builtins.match "-?[0-9]+" s != null && builtins.isInt v then v
    else throw "Could not convert ${s} to int.";
}
