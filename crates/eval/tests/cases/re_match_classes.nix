map (c: builtins.match "[[:${c}:]]+" "aZ09_ \t!") [ "alnum" "alpha" "blank" "cntrl" "digit" "graph" "lower" "print" "punct" "space" "upper" "xdigit" "w" "d" "s" ]
