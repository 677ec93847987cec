//! cairn-eval: A lazy evaluator for the Nix language.
