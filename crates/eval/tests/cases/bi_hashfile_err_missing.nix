builtins.hashFile "sha256" ./does-not-exist
