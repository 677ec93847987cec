//! cairn-build: Builds Nix derivations in a Linux-namespace sandbox.
