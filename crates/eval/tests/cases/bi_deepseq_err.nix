builtins.deepSeq [ (throw "forced deeply") ] "ok"
