[ (builtins.match "(a*)+" "aa") (builtins.match "(a*)*" "aa") (builtins.match "(a|b*)*" "abb") (builtins.match "((a)|(b)|())*" "ab") (builtins.match "(a?)*b" "aab") ]
