//! What the server answers to a path: `nix-cache-info`, narinfos signed on
//! the fly, NARs; looked up through a bounded pool of store handles.

use std::path::PathBuf;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use cairn_store::local::{LocalStore, LocalStoreConfig, LocalStoreError};

use super::ServeOptions;
use crate::cache_info::NixCacheInfo;
use crate::narinfo::{Compression, NarInfo};

/// An answer, before it is written.
pub(super) struct Answer {
    pub(super) status: u16,
    pub(super) content_type: &'static str,
    pub(super) body: Body,
}

/// An answer's body.
pub(super) enum Body {
    /// Small, made in memory (narinfos, `nix-cache-info`, errors).
    Bytes(Vec<u8>),
    /// The NAR of the store path at `real_path`, `size` bytes by the
    /// store's record; serialised while it is sent.
    Nar { real_path: PathBuf, size: u64 },
}

impl Body {
    /// The `Content-Length`.
    pub(super) fn len(&self) -> u64 {
        match self {
            Body::Bytes(bytes) => bytes.len() as u64,
            Body::Nar { size, .. } => *size,
        }
    }
}

impl Answer {
    pub(super) fn text(status: u16, text: &str) -> Answer {
        Answer {
            status,
            content_type: "text/plain",
            body: Body::Bytes(text.as_bytes().to_vec()),
        }
    }

    fn not_found() -> Answer {
        Answer::text(404, "not found\n")
    }
}

/// Answers requests for one store.
pub(super) struct Answerer {
    config: LocalStoreConfig,
    options: ServeOptions,
    stores: Mutex<StorePool>,
    store_free: Condvar,
}

/// Idle store handles, and how many are open in all.
struct StorePool {
    idle: Vec<LocalStore>,
    open: usize,
}

fn lock(m: &Mutex<StorePool>) -> MutexGuard<'_, StorePool> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Answerer {
    /// Opens the store once, to fail early when it cannot be.
    pub(super) fn new(
        config: LocalStoreConfig,
        options: ServeOptions,
    ) -> Result<Self, LocalStoreError> {
        let first = LocalStore::open(config.clone())?;
        Ok(Answerer {
            config,
            options,
            stores: Mutex::new(StorePool {
                idle: vec![first],
                open: 1,
            }),
            store_free: Condvar::new(),
        })
    }

    /// The answer to a `GET` (or `HEAD`, which is sent without its body)
    /// of `path`.
    pub(super) fn answer(&self, path: &str) -> Answer {
        self.lookup(path)
            .unwrap_or_else(|error| Answer::text(500, &format!("{error}\n")))
    }

    fn lookup(&self, path: &str) -> Result<Answer, LocalStoreError> {
        if path == "/nix-cache-info" {
            let info = NixCacheInfo {
                store_dir: Some(self.config.store_dir.clone()),
                want_mass_query: Some(true),
                priority: self.options.priority,
            };
            return Ok(Answer {
                status: 200,
                content_type: "text/x-nix-cache-info",
                body: Body::Bytes(info.to_string().into_bytes()),
            });
        }
        if let Some(hash_part) = path
            .strip_prefix('/')
            .and_then(|u| u.strip_suffix(".narinfo"))
        {
            return self.narinfo(hash_part);
        }
        if let Some(name) = path
            .strip_prefix("/nar/")
            .and_then(|u| u.strip_suffix(".nar"))
        {
            return self.nar(name);
        }
        Ok(Answer::not_found())
    }

    /// Runs `f` with a store handle from the pool, opening one if none is
    /// idle and fewer than the bound are open, else waiting for one.
    fn with_store<T>(
        &self,
        f: impl FnOnce(&LocalStore) -> Result<T, LocalStoreError>,
    ) -> Result<T, LocalStoreError> {
        let store = {
            let mut pool = lock(&self.stores);
            loop {
                if let Some(store) = pool.idle.pop() {
                    break Some(store);
                }
                if pool.open < self.options.max_store_handles.max(1) {
                    pool.open += 1;
                    break None;
                }
                pool = self
                    .store_free
                    .wait(pool)
                    .unwrap_or_else(PoisonError::into_inner);
            }
        };
        let store = match store {
            Some(store) => store,
            // Opened outside the lock: it touches the disk.
            None => LocalStore::open(self.config.clone()).inspect_err(|_| {
                lock(&self.stores).open -= 1;
                self.store_free.notify_one();
            })?,
        };
        let result = f(&store);
        lock(&self.stores).idle.push(store);
        self.store_free.notify_one();
        result
    }

    fn narinfo(&self, hash_part: &str) -> Result<Answer, LocalStoreError> {
        if !is_hash_part(hash_part) {
            return Ok(Answer::not_found());
        }
        let found = self.with_store(|store| match store.path_from_hash_part(hash_part)? {
            Some(path) => store.path_info(&path),
            None => Ok(None),
        })?;
        let Some(info) = found else {
            return Ok(Answer::not_found());
        };
        let url = format!(
            "nar/{}-{}.nar",
            info.path.hash_part(),
            info.nar_hash.to_nix_base32()
        );
        let mut narinfo =
            NarInfo::of_local_path(self.config.store_dir.clone(), info, url, Compression::None);
        if let Some(key) = &self.options.secret_key {
            narinfo.sign(key);
        }
        Ok(Answer {
            status: 200,
            content_type: "text/x-nix-narinfo",
            body: Body::Bytes(narinfo.to_string().into_bytes()),
        })
    }

    fn nar(&self, name: &str) -> Result<Answer, LocalStoreError> {
        let Some((hash_part, nar_hash)) = name.split_once('-') else {
            return Ok(Answer::not_found());
        };
        if !is_hash_part(hash_part) {
            return Ok(Answer::not_found());
        }
        let found = self.with_store(|store| match store.path_from_hash_part(hash_part)? {
            Some(path) => Ok(store
                .path_info(&path)?
                .map(|info| (store.real_path(&path), info))),
            None => Ok(None),
        })?;
        // The NAR hash in the URL pins the contents: a path deleted and
        // re-added differently meanwhile is not served under the old URL.
        let Some((real_path, info)) =
            found.filter(|(_, info)| info.nar_hash.to_nix_base32() == nar_hash)
        else {
            return Ok(Answer::not_found());
        };
        Ok(Answer {
            status: 200,
            content_type: "application/x-nix-nar",
            body: Body::Nar {
                real_path,
                size: info.nar_size,
            },
        })
    }
}

/// 32 characters of Nix's base32 alphabet.
fn is_hash_part(text: &str) -> bool {
    text.len() == 32
        && text
            .bytes()
            .all(|b| b"0123456789abcdfghijklmnpqrsvwxyz".contains(&b))
}
