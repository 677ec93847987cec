//! cairn-generations: Nix profiles, generations, rollback and user environments.
