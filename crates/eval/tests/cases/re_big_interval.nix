[ (builtins.match "a{1000}" "a") (builtins.match "(ab){3}" "ababab") ]
