builtins.parseDrvName ./bi_parsedrvname_coerce.nix
