# Parsing integers from strings with a regex and fromJSON, rejecting
# ambiguous zero padding and junk through throw/tryEval.
let
  strip = builtins.match "[[:space:]]*(-?[[:digit:]]+)[[:space:]]*";
  parse = s:
    let
      m = strip s;
      digits = builtins.head m;
      padded = builtins.match "0[[:digit:]]+" digits != null;
    in
    if m == null then throw "not a number: ${s}"
    else if padded then throw "zero padded: ${s}"
    else builtins.fromJSON digits;
  parseLoose = s:
    let m = builtins.match "[[:space:]]*0*(-?[[:digit:]]+)[[:space:]]*" s;
    in if m == null then throw "bad" else builtins.fromJSON (builtins.head m);
  try = f: s: let r = builtins.tryEval (f s); in if r.success then r.value else "error";
in
{
  strict = map (try parse) [ "123" " 42 " "-7" "0" "007" "1 2" "" "x1" " -0 " "9223372036854775807" ];
  loose = map (try parseLoose) [ "0042" "000" " 0012 " "-1" "0x10" "12a" ];
}
