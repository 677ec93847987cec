#![doc = include_str!("../README.md")]

pub mod cache_info;
pub mod keys;
pub mod narinfo;
pub mod signature;

pub use cache_info::{CacheInfoError, NixCacheInfo};
pub use keys::{KeyError, PublicKey, SecretKey};
pub use narinfo::{Compression, LineError, NarInfo, NarInfoError};
pub use signature::{Signature, SignatureError, TrustedKeys, VerifyError, fingerprint};
