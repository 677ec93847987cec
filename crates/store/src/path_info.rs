//! What the store knows about a valid path.

use std::collections::BTreeSet;

use crate::content_address::ContentAddress;
use crate::hash::Hash;
use crate::path::StorePath;

/// The metadata of a valid store path, as the store database records it
/// and as binary caches describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathInfo {
    /// The path itself.
    pub path: StorePath,
    /// SHA-256 of the path's NAR serialisation.
    pub nar_hash: Hash,
    /// Size of the NAR serialisation in bytes.
    pub nar_size: u64,
    /// Store paths the contents refer to (possibly including itself).
    pub references: BTreeSet<StorePath>,
    /// The derivation that built it, if known.
    pub deriver: Option<StorePath>,
    /// When it became valid, in seconds since the Unix epoch.
    pub registration_time: i64,
    /// True when this store made it (built or added it) rather than
    /// receiving it from elsewhere, so it needs no signature to be trusted.
    pub ultimate: bool,
    /// Signatures, each `keyname:base64`.
    pub signatures: BTreeSet<String>,
    /// The content address, when the path is content-addressed.
    pub ca: Option<ContentAddress>,
}
