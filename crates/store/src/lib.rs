//! cairn-store: Nix-compatible hashes, store paths, NAR archives and the local store.
