builtins.seq [ (throw "not forced") ] "ok"
