let
  hasPrefix = pref: str: builtins.substring 0 (builtins.stringLength pref) str == pref;
  hasSuffix = suffix: content:
    let lenContent = builtins.stringLength content; lenSuffix = builtins.stringLength suffix;
    in lenContent >= lenSuffix && builtins.substring (lenContent - lenSuffix) lenContent content == suffix;
  removePrefix = prefix: str:
    let preLen = builtins.stringLength prefix; in
    if builtins.substring 0 preLen str == prefix then builtins.substring preLen (-1) str else str;
  lowerChars = builtins.genList (i: builtins.substring i 1 "abcdefghijklmnopqrstuvwxyz") 26;
  upperChars = builtins.genList (i: builtins.substring i 1 "ABCDEFGHIJKLMNOPQRSTUVWXYZ") 26;
  toUpper = builtins.replaceStrings lowerChars upperChars;
  concatMapStringsSep = sep: f: list: builtins.concatStringsSep sep (map f list);
  stringToCharacters = s: builtins.genList (p: builtins.substring p 1 s) (builtins.stringLength s);
in [
  (hasPrefix "foo" "foobar") (hasPrefix "bar" "foobar")
  (hasSuffix "bar" "foobar") (hasSuffix "foobarx" "bar")
  (removePrefix "/nix/store/" "/nix/store/abc") (removePrefix "x" "abc")
  (toUpper "Hello, World!")
  (concatMapStringsSep "-" toString [ 1 2 3 ])
  (stringToCharacters "hello")
]
