builtins.trace "hello" 42
