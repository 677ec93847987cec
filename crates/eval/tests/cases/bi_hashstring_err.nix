builtins.hashString "crc32" "x"
