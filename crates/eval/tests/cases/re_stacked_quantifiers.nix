[ (builtins.match "a**" "aa") (builtins.match "a*?" "aa") (builtins.match "a+*" "") (builtins.match "a{1}{2}" "aa") (builtins.match "a{1}*" "aaa") (builtins.match "(ab)+?" "abab") ]
