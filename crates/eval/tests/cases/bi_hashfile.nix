map (a: builtins.hashFile a ../import_helper.nix) [ "md5" "sha1" "sha256" "sha512" ]
