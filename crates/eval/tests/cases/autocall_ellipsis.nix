{ a ? 1, ... }@args: builtins.attrNames args
