builtins.length (builtins.attrNames builtins) > 10
