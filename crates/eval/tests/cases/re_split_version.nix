builtins.split "[.-]" "1.2-rc3.4"
