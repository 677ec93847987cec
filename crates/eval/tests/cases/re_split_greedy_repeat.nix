[ (builtins.split "(a*)(ab)?" "aab") (builtins.split "(ab|a)(bc|c)?" "xabcx") (builtins.split "[0-9]+" "a12b345c") ]
