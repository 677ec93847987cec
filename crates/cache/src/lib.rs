//! cairn-cache: Nix binary caches: narinfo, signatures, substitution and serving.
