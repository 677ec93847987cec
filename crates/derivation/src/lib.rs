//! cairn-derivation: Nix derivations: the model, ATerm .drv files, hashDerivationModulo and output paths.
