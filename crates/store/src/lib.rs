#![doc = include_str!("../README.md")]

pub mod content_address;
pub mod hash;
pub mod local;
pub mod nar;
pub mod nixbase32;
pub mod path;
pub mod path_info;
pub mod references;

pub use content_address::{ContentAddress, FileIngestionMethod};
pub use hash::{Hash, HashAlgo, Hasher};
pub use path::{StoreDir, StorePath, StorePathName};
