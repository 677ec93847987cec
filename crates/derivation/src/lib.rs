#![doc = include_str!("../README.md")]

pub mod aterm;
mod error;
mod hash_modulo;
mod model;
pub mod paths;

pub use error::{DerivationError, ParseError};
pub use hash_modulo::HashModuloCache;
pub use model::{ContentAddressMethod, Derivation, Output, OutputName};
