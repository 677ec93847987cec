builtins.fromJSON "[1, {\"a\": 2}]"
