builtins.hashFile "sha3" ../import_helper.nix
