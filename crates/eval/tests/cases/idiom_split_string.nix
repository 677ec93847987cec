let
  escapeRegex = builtins.replaceStrings
    [ "\\" "[" "{" "(" ")" "^" "$" "?" "*" "+" "|" "." ]
    [ "\\\\" "\\[" "\\{" "\\(" "\\)" "\\^" "\\$" "\\?" "\\*" "\\+" "\\|" "\\." ];
  splitString = sep: s:
    let splits = builtins.filter builtins.isString (builtins.split (escapeRegex sep) s);
    in map (v: builtins.substring 0 (builtins.stringLength v) v) splits;
in [
  (splitString "." "a.b.c")
  (splitString "/" "/usr/bin/")
  (splitString ", " "x, y,z, ")
  (splitString "*+" "a*+b*+")
  (splitString "(" "f(x)(y")
  (splitString "" "abc")
  (splitString "x" "")
]
