map (a: builtins.hashString a "hello world") [ "md5" "sha1" "sha256" "sha512" ]
