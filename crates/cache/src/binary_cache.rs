//! A binary cache as a store of narinfos and NARs, over any [`Transport`].
//!
//! Layout (Nix's): `nix-cache-info` at the root, `<hash part>.narinfo` for
//! each path, and NAR files wherever a narinfo's `URL` says (Nix writes
//! `nar/<file hash>.nar<.xz|.zst|.bz2>`).

use std::collections::HashMap;
use std::io::Read;
use std::sync::{Arc, Mutex};

use cairn_store::path::{StoreDir, StorePath};
use thiserror::Error;

use crate::cache_info::{CacheInfoError, NixCacheInfo};
use crate::compression::{self, UnsupportedCompression};
use crate::narinfo::{NarInfo, NarInfoError};
use crate::transport::{self, HttpOptions, PutBody, Transport, TransportError};

/// The priority of a cache whose `nix-cache-info` names none (Nix's default).
pub const DEFAULT_PRIORITY: i32 = 50;

/// Why a binary-cache operation failed.
#[derive(Debug, Error)]
pub enum CacheError {
    /// Moving bytes failed.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// `nix-cache-info` is malformed.
    #[error("{url}/nix-cache-info: {source}")]
    CacheInfo {
        /// The cache.
        url: String,
        /// Why.
        #[source]
        source: CacheInfoError,
    },
    /// The cache holds paths of another store directory.
    #[error("binary cache {url} is for store directory {found}, not {expected}")]
    WrongStoreDir {
        /// The cache.
        url: String,
        /// Its `StoreDir`.
        found: String,
        /// Ours.
        expected: String,
    },
    /// A narinfo is malformed.
    #[error("{url}: {source}")]
    NarInfo {
        /// The narinfo's URL.
        url: String,
        /// Why.
        #[source]
        source: NarInfoError,
    },
    /// A narinfo describes another path than the one asked for.
    #[error("{url} describes {found}, not the path asked for")]
    NarInfoMismatch {
        /// The narinfo's URL.
        url: String,
        /// The path it names.
        found: String,
    },
    /// The narinfo is not UTF-8.
    #[error("{0} is not UTF-8 text")]
    NotText(String),
    /// The NAR a narinfo points at is missing.
    #[error("{url}/{nar_url} (the NAR of {path}) is missing from the cache")]
    MissingNar {
        /// The cache.
        url: String,
        /// The NAR's cache path.
        nar_url: String,
        /// The store path.
        path: String,
    },
    /// The NAR's compression cannot be read.
    #[error("the NAR of {path}: {source}")]
    Compression {
        /// The store path.
        path: String,
        /// Which method.
        #[source]
        source: UnsupportedCompression,
    },
}

/// One binary cache, with the narinfos looked up so far remembered
/// (including the paths it does not have), so that each is asked once.
pub struct BinaryCache {
    transport: Box<dyn Transport>,
    store_dir: StoreDir,
    info: NixCacheInfo,
    narinfos: Mutex<HashMap<StorePath, Option<Arc<NarInfo>>>>,
}

impl std::fmt::Debug for BinaryCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BinaryCache")
            .field("url", &self.transport.url())
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl BinaryCache {
    /// Opens the cache at `url` for reading: reads its `nix-cache-info`
    /// (a cache without one is taken as being for `store_dir`, as Nix does)
    /// and refuses a cache for another store directory.
    pub fn open(url: &str, store_dir: &StoreDir, http: &HttpOptions) -> Result<Self, CacheError> {
        let transport = transport::open_transport(url, http)?;
        Self::with_transport(transport, store_dir)
    }

    /// Like [`BinaryCache::open`], and writes a `nix-cache-info` naming
    /// `store_dir` when the cache has none, as Nix does before uploading.
    pub fn open_for_upload(
        url: &str,
        store_dir: &StoreDir,
        http: &HttpOptions,
    ) -> Result<Self, CacheError> {
        let mut cache = Self::open(url, store_dir, http)?;
        if cache.info.store_dir.is_none() {
            let info = NixCacheInfo {
                store_dir: Some(store_dir.clone()),
                ..NixCacheInfo::default()
            };
            cache.transport.put(
                "nix-cache-info",
                PutBody::Bytes(info.to_string().as_bytes()),
                "text/x-nix-cache-info",
            )?;
            cache.info = info;
        }
        Ok(cache)
    }

    /// Uses an already open transport.
    pub fn with_transport(
        transport: Box<dyn Transport>,
        store_dir: &StoreDir,
    ) -> Result<Self, CacheError> {
        let url = transport.url().to_owned();
        let info = match transport.get("nix-cache-info")? {
            Some(bytes) => {
                let text = String::from_utf8(bytes)
                    .map_err(|_| CacheError::NotText(format!("{url}/nix-cache-info")))?;
                NixCacheInfo::parse(&text).map_err(|source| CacheError::CacheInfo {
                    url: url.clone(),
                    source,
                })?
            }
            None => NixCacheInfo::default(),
        };
        if let Some(found) = &info.store_dir
            && found != store_dir
        {
            return Err(CacheError::WrongStoreDir {
                url,
                found: found.to_string(),
                expected: store_dir.to_string(),
            });
        }
        Ok(BinaryCache {
            transport,
            store_dir: store_dir.clone(),
            info,
            narinfos: Mutex::new(HashMap::new()),
        })
    }

    /// The cache's URL.
    pub fn url(&self) -> &str {
        self.transport.url()
    }

    /// What `nix-cache-info` says.
    pub fn cache_info(&self) -> &NixCacheInfo {
        &self.info
    }

    /// The cache's priority: lower is preferred.
    pub fn priority(&self) -> i32 {
        self.info.priority.unwrap_or(DEFAULT_PRIORITY)
    }

    /// Overrides the priority (`?priority=` in Nix's store URLs).
    pub fn set_priority(&mut self, priority: i32) {
        self.info.priority = Some(priority);
    }

    /// The store directory the cache's paths belong to.
    pub fn store_dir(&self) -> &StoreDir {
        &self.store_dir
    }

    /// The narinfo of `path`, or `None` when the cache does not have it.
    /// Answers, absent ones included, are remembered.
    pub fn narinfo(&self, path: &StorePath) -> Result<Option<Arc<NarInfo>>, CacheError> {
        if let Some(known) = self.lock().get(path) {
            return Ok(known.clone());
        }
        let name = format!("{}.narinfo", path.hash_part());
        let answer = match self.transport.get(&name)? {
            None => None,
            Some(bytes) => {
                let url = format!("{}/{name}", self.url());
                let text =
                    String::from_utf8(bytes).map_err(|_| CacheError::NotText(url.clone()))?;
                let info = NarInfo::parse(&self.store_dir, &text).map_err(|source| {
                    CacheError::NarInfo {
                        url: url.clone(),
                        source,
                    }
                })?;
                if info.store_path != *path {
                    return Err(CacheError::NarInfoMismatch {
                        url,
                        found: self.store_dir.display_path(&info.store_path),
                    });
                }
                Some(Arc::new(info))
            }
        };
        self.lock().insert(path.clone(), answer.clone());
        Ok(answer)
    }

    /// True when the cache has a narinfo for `path` (without fetching it
    /// when it was not looked up before).
    pub fn has(&self, path: &StorePath) -> Result<bool, CacheError> {
        if let Some(known) = self.lock().get(path) {
            return Ok(known.is_some());
        }
        Ok(self
            .transport
            .exists(&format!("{}.narinfo", path.hash_part()))?)
    }

    /// The NAR of `info`, decompressed, as a stream. Nothing is checked
    /// here: the caller checks hash and size as it reads.
    pub fn nar(&self, info: &NarInfo) -> Result<Box<dyn Read + Send>, CacheError> {
        let path = || self.store_dir.display_path(&info.store_path);
        let compressed = self
            .transport
            .open(&info.url)?
            .ok_or_else(|| CacheError::MissingNar {
                url: self.url().to_owned(),
                nar_url: info.url.clone(),
                path: path(),
            })?;
        compression::decompress(info.compression, compressed).map_err(|source| {
            CacheError::Compression {
                path: path(),
                source,
            }
        })
    }

    /// Uploads a file (a NAR) to the cache.
    pub fn put_file(&self, cache_path: &str, body: PutBody<'_>) -> Result<(), CacheError> {
        Ok(self
            .transport
            .put(cache_path, body, "application/x-nix-nar")?)
    }

    /// Uploads a narinfo. Call this only after its NAR is in place.
    pub fn put_narinfo(&self, info: &NarInfo) -> Result<(), CacheError> {
        let name = format!("{}.narinfo", info.store_path.hash_part());
        self.transport.put(
            &name,
            PutBody::Bytes(info.to_string().as_bytes()),
            "text/x-nix-narinfo",
        )?;
        self.lock()
            .insert(info.store_path.clone(), Some(Arc::new(info.clone())));
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<StorePath, Option<Arc<NarInfo>>>> {
        // A panic elsewhere cannot leave the map half-updated: each access
        // is one insert or one get.
        self.narinfos
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
