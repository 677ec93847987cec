//! Errors of the derivation crate.

use cairn_store::content_address::ContentAddressError;
use cairn_store::hash::HashError;
use cairn_store::path::PathError;

/// Why a derivation could not be parsed, checked or hashed.
#[derive(Debug, thiserror::Error)]
pub enum DerivationError {
    /// The `.drv` text is malformed.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// An output name is not allowed.
    #[error("invalid output name `{name}`: {reason}")]
    InvalidOutputName {
        /// The name as given.
        name: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// A derivation must have at least one output.
    #[error("a derivation must have at least one output")]
    NoOutputs,
    /// A `hashAlgo` field names an unknown algorithm.
    #[error("unknown hash algorithm `{0}`")]
    UnknownHashAlgo(String),
    /// The derivation is well-formed text but inconsistent.
    #[error("invalid derivation: {0}")]
    Invalid(String),
    /// The input derivations refer to each other in a cycle.
    #[error("the input derivations form a cycle through {0}")]
    Cycle(String),
    /// An input derivation could not be read.
    #[error("reading input derivation {path}")]
    Input {
        /// The input's `.drv` path.
        path: String,
        /// What went wrong.
        #[source]
        source: Box<DerivationError>,
    },
    /// The caller could not read an input derivation (its message).
    #[error("{0}")]
    Read(String),
    /// A store path or name is invalid.
    #[error(transparent)]
    Path(#[from] PathError),
    /// A hash is malformed.
    #[error(transparent)]
    Hash(#[from] HashError),
    /// A content-addressed path cannot be formed.
    #[error(transparent)]
    ContentAddress(#[from] ContentAddressError),
}

/// A syntax error in a `.drv` file, with the byte offset where it was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed derivation at byte {offset}: {message}")]
pub struct ParseError {
    /// Byte offset into the file.
    pub offset: usize,
    /// What was wrong there.
    pub message: String,
}
