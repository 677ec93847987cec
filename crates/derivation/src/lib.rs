#![doc = include_str!("../README.md")]

pub mod aterm;
mod error;
mod hash_modulo;
mod json;
mod model;
pub mod paths;

pub use error::{DerivationError, ParseError};
pub use hash_modulo::HashModuloCache;
pub use json::JSON_VERSION;
pub use model::{ContentAddressMethod, Derivation, Output, OutputName};
