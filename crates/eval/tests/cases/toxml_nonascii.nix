builtins.toXML "é ü 日本"
