[ (builtins.split "(a*)+" "baab") (builtins.split "(|a)+" "aab") ]
