builtins.match "^*a" "a"
