builtins.concatStringsSep "," (map toString [ 1.5 2 ])
