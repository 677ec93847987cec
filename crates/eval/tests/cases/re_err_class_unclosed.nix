builtins.match "[[:alpha:]" "a"
