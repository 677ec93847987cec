[ (builtins.stringLength "é") (builtins.stringLength "") (builtins.stringLength "日本語") ]
