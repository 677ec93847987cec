let
  trim = s:
    let m = builtins.match "[[:space:]]*(.*[^[:space:]])[[:space:]]*" s;
    in if m == null then "" else builtins.head m;
in map trim [ "  a b  " "\n\tx\n" "" "   " "nospace" ]
