[ (builtins.split "x|(y)|(z*)" "axyzzb") (builtins.split "(ab|a)(b*)" "abbb ab a") (builtins.split "(\\.|-|_)+" "a.-b_c") ]
