[ (builtins.split "x" "") (builtins.split "" "") (builtins.split "a*" "") ]
