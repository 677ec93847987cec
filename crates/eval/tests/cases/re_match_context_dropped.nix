let s = builtins.match "(.*)" "abc"; in map builtins.hasContext s
