with builtins; [ (stringLength "hello") (stringLength "") (stringLength "é") ]
