builtins.concatStringsSep "-" [ ]
