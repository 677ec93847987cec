map (a: builtins.hashString a "The quick brown fox") [ "md5" "sha1" "sha256" "sha512" ]
