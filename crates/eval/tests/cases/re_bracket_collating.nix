[ (builtins.match "[[.hyphen.]]" "-") (builtins.match "[[.a.]-c]+" "abc") (builtins.match "[[=e=]]" "e") (builtins.match "[[.space.]]" " ") (builtins.match "[[.left-square-bracket.]]" "[") ]
