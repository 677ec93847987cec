//! Upload: copying closures from the local store to a binary cache, as
//! `nix copy --to` does.
//!
//! Each path the cache lacks is serialised as NAR, compressed into a
//! temporary file while both the NAR and the file are hashed, checked
//! against the store's record, and uploaded as `nar/<file hash>.nar<ext>`.
//! Its narinfo (signed when a key is given) is written only after the NAR
//! is in place and after the narinfos of its references, so a reader of
//! the cache never finds a narinfo whose NAR or references are missing.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, mpsc};

use cairn_store::hash::{Hash, HashAlgo, Hasher};
use cairn_store::local::{LocalStore, LocalStoreError};
use cairn_store::nar;
use cairn_store::path::StorePath;
use cairn_store::path_info::PathInfo;
use thiserror::Error;

use crate::binary_cache::{BinaryCache, CacheError};
use crate::compression::{self, Compressor, CompressorError};
use crate::keys::SecretKey;
use crate::narinfo::{Compression, NarInfo};
use crate::substitute::Progress;
use crate::transport::PutBody;

/// How to upload.
#[derive(Debug, Clone)]
pub struct UploadOptions {
    /// How NARs are compressed (Nix's default is xz).
    pub compression: Compression,
    /// Signs each narinfo with this key, adding to the signatures the
    /// store already has for the path.
    pub secret_key: Option<SecretKey>,
    /// How many paths are compressed and uploaded at once.
    pub jobs: usize,
}

impl Default for UploadOptions {
    fn default() -> Self {
        UploadOptions {
            compression: Compression::Xz,
            secret_key: None,
            jobs: 2,
        }
    }
}

/// Why an upload failed.
#[derive(Debug, Error)]
pub enum UploadError {
    /// The local store failed.
    #[error(transparent)]
    Store(#[from] LocalStoreError),
    /// The cache failed.
    #[error("uploading {path}: {source}")]
    Cache {
        /// The path.
        path: String,
        /// What went wrong.
        #[source]
        source: Box<CacheError>,
    },
    /// Asking the cache what it has failed.
    #[error(transparent)]
    Query(Box<CacheError>),
    /// Serialising the path failed.
    #[error("serialising {path}: {source}")]
    Dump {
        /// The path.
        path: String,
        /// What went wrong.
        #[source]
        source: nar::DumpError,
    },
    /// Writing the compressed NAR failed.
    #[error("compressing {path}: {source}")]
    Compress {
        /// The path.
        path: String,
        /// What went wrong.
        #[source]
        source: io::Error,
    },
    /// The compressor could not start.
    #[error(transparent)]
    Compressor(#[from] CompressorError),
    /// The path's contents no longer match the store's record.
    #[error(
        "{path} was modified in the store: its NAR hashes to {actual} ({actual_size} bytes), \
         but {expected} ({expected_size} bytes) is recorded; run `cairn store verify --check-contents`"
    )]
    Modified {
        /// The path.
        path: String,
        /// The recorded hash.
        expected: Box<Hash>,
        /// The recorded size.
        expected_size: u64,
        /// The hash now.
        actual: Box<Hash>,
        /// The size now.
        actual_size: u64,
    },
}

/// What an upload did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct UploadReport {
    /// Paths uploaded, references first.
    pub uploaded: Vec<StorePath>,
    /// Paths the cache already had.
    pub skipped: usize,
    /// NAR bytes uploaded (uncompressed).
    pub nar_bytes: u64,
    /// File bytes uploaded (compressed).
    pub file_bytes: u64,
}

/// One path to upload, gathered from the store up front (the store's
/// handle stays on the calling thread).
struct Item {
    info: PathInfo,
    real_path: PathBuf,
}

/// Copies `paths` and their closures to `cache`, skipping what it has.
pub fn upload(
    store: &LocalStore,
    cache: &BinaryCache,
    paths: &[StorePath],
    options: &UploadOptions,
    progress: &dyn Progress,
) -> Result<UploadReport, UploadError> {
    let store_dir = store.store_dir().clone();
    let mut items: HashMap<StorePath, Item> = HashMap::new();
    for path in store.closure(paths)? {
        let info = store
            .path_info(&path)?
            .ok_or_else(|| LocalStoreError::NotValid(store_dir.display_path(&path)))?;
        items.insert(
            path.clone(),
            Item {
                info,
                real_path: store.real_path(&path),
            },
        );
    }
    let order = crate::graph::references_first(&items, |item| &item.info.references);
    let mut report = UploadReport::default();
    // Ask which paths the cache has, in parallel (HEAD requests).
    let present = present_in(cache, &order, options.jobs.max(4))
        .map_err(|e| UploadError::Query(Box::new(e)))?;
    report.skipped = present.len();
    let todo: Vec<StorePath> = order
        .iter()
        .filter(|p| !present.contains(*p))
        .cloned()
        .collect();
    progress.planned(
        todo.len(),
        todo.iter().map(|p| items[p].info.nar_size).sum(),
    );

    let next = Mutex::new(todo.iter());
    let stop = AtomicBool::new(false);
    let (done_tx, done_rx) = mpsc::channel::<Result<NarInfo, UploadError>>();
    let mut first_error = None;
    std::thread::scope(|scope| {
        for _ in 0..options.jobs.max(1) {
            let done_tx = done_tx.clone();
            let (next, stop, items) = (&next, &stop, &items);
            scope.spawn(move || {
                loop {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let path = next
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .next()
                        .cloned();
                    let Some(path) = path else { return };
                    progress.started(&path, cache.url());
                    let result = upload_nar(cache, &items[&path], options, progress);
                    if done_tx.send(result).is_err() {
                        return;
                    }
                }
            });
        }
        drop(done_tx);
        // Narinfos go up here, each after those of its references.
        let mut done: HashSet<StorePath> = present.iter().cloned().collect();
        let mut waiting: BTreeMap<StorePath, NarInfo> = BTreeMap::new();
        for result in done_rx.iter() {
            let narinfo = match result {
                Ok(narinfo) => narinfo,
                Err(error) => {
                    stop.store(true, Ordering::Relaxed);
                    first_error.get_or_insert(error);
                    continue;
                }
            };
            if first_error.is_some() {
                continue;
            }
            waiting.insert(narinfo.store_path.clone(), narinfo);
            loop {
                let ready: Vec<StorePath> = waiting
                    .iter()
                    .filter(|(path, info)| {
                        crate::graph::references_done(path, &info.references, &items, |r| {
                            done.contains(r)
                        })
                    })
                    .map(|(path, _)| path.clone())
                    .collect();
                if ready.is_empty() {
                    break;
                }
                for path in ready {
                    let Some(narinfo) = waiting.remove(&path) else {
                        continue;
                    };
                    if let Err(source) = cache.put_narinfo(&narinfo) {
                        stop.store(true, Ordering::Relaxed);
                        first_error.get_or_insert(UploadError::Cache {
                            path: store_dir.display_path(&path),
                            source: Box::new(source),
                        });
                        break;
                    }
                    report.nar_bytes += narinfo.nar_size;
                    report.file_bytes += narinfo.file_size.unwrap_or(0);
                    report.uploaded.push(path.clone());
                    progress.finished(&path);
                    done.insert(path);
                }
                if first_error.is_some() {
                    break;
                }
            }
        }
    });
    match first_error {
        Some(error) => Err(error),
        None => Ok(report),
    }
}

/// The paths of `order` the cache has, asked `jobs` at a time.
fn present_in(
    cache: &BinaryCache,
    order: &[StorePath],
    jobs: usize,
) -> Result<HashSet<StorePath>, CacheError> {
    let next = Mutex::new(order.iter());
    let found = Mutex::new((HashSet::new(), None));
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| {
                loop {
                    let path = next
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .next();
                    let Some(path) = path else { return };
                    let answer = cache.has(path);
                    let mut found = found
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    match answer {
                        Ok(true) => {
                            found.0.insert(path.clone());
                        }
                        Ok(false) => {}
                        Err(error) => {
                            found.1.get_or_insert(error);
                            return;
                        }
                    }
                }
            });
        }
    });
    let (present, error) = found
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    match error {
        Some(error) => Err(error),
        None => Ok(present),
    }
}

/// Hashes and counts what passes through to `inner`.
struct HashingWriter<W> {
    inner: W,
    hasher: Hasher,
    size: u64,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Reports NAR bytes as they are produced.
struct Reporting<'a, W> {
    inner: W,
    progress: &'a dyn Progress,
}

impl<W: Write> Write for Reporting<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.progress.bytes(n as u64);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Compresses and uploads one path's NAR; returns its narinfo, not yet
/// uploaded.
fn upload_nar(
    cache: &BinaryCache,
    item: &Item,
    options: &UploadOptions,
    progress: &dyn Progress,
) -> Result<NarInfo, UploadError> {
    let store_dir = cache.store_dir();
    let info = &item.info;
    let shown = || store_dir.display_path(&info.path);
    let compress_err = |source| UploadError::Compress {
        path: shown(),
        source,
    };
    let staged = tempfile::NamedTempFile::new().map_err(compress_err)?;
    let file = staged.reopen().map_err(compress_err)?;
    let file_sink = HashingWriter {
        inner: BufWriter::with_capacity(1 << 20, file),
        hasher: Hasher::new(HashAlgo::Sha256),
        size: 0,
    };
    let mut nar_sink = HashingWriter {
        inner: Compressor::new(options.compression, file_sink)?,
        hasher: Hasher::new(HashAlgo::Sha256),
        size: 0,
    };
    nar::dump_path(
        &item.real_path,
        Reporting {
            inner: &mut nar_sink,
            progress,
        },
    )
    .map_err(|source| UploadError::Dump {
        path: shown(),
        source,
    })?;
    let nar_hash = nar_sink.hasher.finalize();
    let nar_size = nar_sink.size;
    let mut file_sink = nar_sink.inner.finish().map_err(compress_err)?;
    file_sink.flush().map_err(compress_err)?;
    if nar_hash != info.nar_hash || nar_size != info.nar_size {
        return Err(UploadError::Modified {
            path: shown(),
            expected: Box::new(info.nar_hash),
            expected_size: info.nar_size,
            actual: Box::new(nar_hash),
            actual_size: nar_size,
        });
    }
    let file_hash = file_sink.hasher.finalize();
    let url = format!(
        "nar/{}.nar{}",
        file_hash.to_nix_base32(),
        compression::file_suffix(options.compression)
    );
    cache
        .put_file(&url, PutBody::File(staged.path()))
        .map_err(|source| UploadError::Cache {
            path: shown(),
            source: Box::new(source),
        })?;
    // The hash and size were just checked against `info`'s.
    let mut narinfo =
        NarInfo::of_local_path(store_dir.clone(), info.clone(), url, options.compression);
    narinfo.file_hash = Some(file_hash);
    narinfo.file_size = Some(file_sink.size);
    if let Some(key) = &options.secret_key {
        narinfo.sign(key);
    }
    Ok(narinfo)
}
