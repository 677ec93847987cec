builtins.split "x" "axbxc"
