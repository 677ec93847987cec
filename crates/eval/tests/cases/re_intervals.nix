map (p: map (s: builtins.match p s) [ "" "a" "aa" "aaa" "aaaa" ]) [ "a{2}" "a{2,}" "a{1,3}" "a{0}" "a{0,1}" "a{0,0}" "(a){2}" ]
