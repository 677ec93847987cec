builtins.filter (x: builtins.match "lib.*" x != null) [ "libfoo" "foolib" "lib" "li" ]
