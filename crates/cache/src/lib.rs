#![doc = include_str!("../README.md")]

pub mod binary_cache;
pub mod cache_info;
pub mod compression;
mod graph;
pub mod keys;
pub mod local_sigs;
pub mod narinfo;
pub mod serve;
pub mod signature;
pub mod substitute;
pub mod transport;
pub mod upload;

pub use binary_cache::{BinaryCache, CacheError};
pub use cache_info::{CacheInfoError, NixCacheInfo};
pub use keys::{KeyError, PublicKey, SecretKey};
pub use narinfo::{Compression, LineError, NarInfo, NarInfoError};
pub use serve::{CacheServer, ServeError, ServeOptions};
pub use signature::{Signature, SignatureError, TrustedKeys, VerifyError, fingerprint};
pub use substitute::{
    NoProgress, Progress, SubstituteError, SubstituteOptions, SubstituteReport, Substituters,
};
pub use transport::{HttpOptions, TransportError};
pub use upload::{UploadError, UploadOptions, UploadReport, upload};
