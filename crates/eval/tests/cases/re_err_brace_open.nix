builtins.match "a{" "a{"
