//! The local store: store paths on disk under a root directory, and the
//! validity database beside them, laid out as Nix lays them out.
//!
//! With root `R` (a *chroot store*; `/` for the real one) the store directory
//! is still called `/nix/store` in every path, while its files live under
//! `R/nix/store` and its state (database, locks, roots, profiles) under
//! `R/nix/var/nix`. Nix's `--store R` means the same, so cairn and Nix can
//! share one store.
//!
//! # Crash safety
//! A path becomes valid only after its complete, canonical contents sit at
//! their final location and are flushed to disk: contents are assembled in
//! a temporary directory inside the store, renamed into place, and only
//! then registered in one database transaction. A crash at any moment
//! leaves at worst an unregistered directory, which the next add of the same
//! path replaces. Deleting goes the other way: invalidate first, then remove.

mod canonical;
mod db;
mod gc;
pub mod import;
mod lock;
mod optimise;
pub mod register;
mod temproots;
mod text;
mod tree;

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::content_address::{ContentAddress, ContentAddressError, FileIngestionMethod};
use crate::hash::{Hash, HashAlgo};
use crate::nar::{self, HashMode};
use crate::path::{StoreDir, StorePath, StorePathName};
use crate::path_info::PathInfo;

pub use canonical::remove_tree;
pub use db::SCHEMA_VERSION;
pub use gc::{GcOptions, GcReport, RootSource, indirect_root_name};
pub use lock::PathLock;
pub use optimise::OptimiseStats;
pub use text::{TextBatch, TextFile};

/// Where a local store lives and how it behaves.
#[derive(Debug, Clone)]
pub struct LocalStoreConfig {
    /// The root the store's files live under (`/` for the real store).
    pub root: PathBuf,
    /// The logical store directory, as it appears in store paths.
    pub store_dir: StoreDir,
    /// Flush new paths to disk before registering them. Turning this off
    /// trades safety against power loss (not against crashes) for speed.
    pub fsync: bool,
}

impl LocalStoreConfig {
    /// A store under `root` with the standard store directory `/nix/store`.
    pub fn chroot(root: impl Into<PathBuf>) -> LocalStoreConfig {
        LocalStoreConfig {
            root: root.into(),
            store_dir: StoreDir::default(),
            fsync: true,
        }
    }
}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum LocalStoreError {
    /// A filesystem operation failed.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// To which file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// The database could not be opened.
    #[error("opening the store database {}: {source}", path.display())]
    Database {
        /// The database file.
        path: PathBuf,
        /// The SQLite error.
        #[source]
        source: rusqlite::Error,
    },
    /// A database statement failed.
    #[error("store database: {0}")]
    Sql(#[from] rusqlite::Error),
    /// The database has a schema version this code does not know.
    #[error("the store database has schema version {found}; cairn supports {SCHEMA_VERSION}")]
    Schema {
        /// The version found.
        found: String,
    },
    /// The database holds something malformed.
    #[error("the store database is corrupt: {what}")]
    Corrupt {
        /// What was found.
        what: String,
    },
    /// A path to register refers to a path that is not valid.
    #[error("cannot register {path}: its reference {reference} is not valid")]
    InvalidReference {
        /// The path being registered.
        path: String,
        /// The missing reference.
        reference: String,
    },
    /// A path cannot be deleted because another valid path refers to it.
    #[error("cannot delete {path}: it is still referenced by {referrer}")]
    StillReferenced {
        /// The path.
        path: String,
        /// One path that refers to it.
        referrer: String,
    },
    /// A path cannot be deleted because a garbage-collector root keeps it.
    #[error("cannot delete {path}: it is alive, kept by {root} through {how}")]
    Live {
        /// The path.
        path: String,
        /// The root path whose closure holds it.
        root: String,
        /// What makes that a root.
        how: String,
    },
    /// A path that should be valid is not.
    #[error("{0} is not valid in this store")]
    NotValid(String),
    /// A flat add was given something other than a regular file.
    #[error("{} is not a regular file (a flat add takes one file)", .0.display())]
    NotAFile(PathBuf),
    /// Serialising the source as NAR failed.
    #[error(transparent)]
    Dump(#[from] nar::DumpError),
    /// Writing the copy failed.
    #[error(transparent)]
    Restore(#[from] nar::RestoreError),
    /// The path cannot be formed.
    #[error(transparent)]
    ContentAddress(#[from] ContentAddressError),
    /// A path is not (inside) a store path.
    #[error(transparent)]
    Path(#[from] crate::path::PathError),
}

impl LocalStoreError {
    fn io(action: &'static str, path: &Path, source: io::Error) -> LocalStoreError {
        LocalStoreError::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }

    fn db(path: &Path, source: rusqlite::Error) -> LocalStoreError {
        LocalStoreError::Database {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// What `verify` found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// How many valid paths were checked.
    pub checked: usize,
    /// Valid paths whose files are missing.
    pub missing: Vec<StorePath>,
    /// Valid paths whose contents no longer match the recorded NAR hash or
    /// size: (path, recorded hash, actual hash).
    pub modified: Vec<(StorePath, Hash, Hash)>,
}

impl VerifyReport {
    /// True when nothing is wrong.
    pub fn is_ok(&self) -> bool {
        self.missing.is_empty() && self.modified.is_empty()
    }
}

/// A local store, open for use.
pub struct LocalStore {
    config: LocalStoreConfig,
    real_store_dir: PathBuf,
    state_dir: PathBuf,
    db: db::Database,
    temp_roots: temproots::TempRoots,
    _big_lock: fs::File,
}

impl LocalStore {
    /// Opens the store described by `config`, creating its directories and
    /// database when they do not exist yet.
    pub fn open(config: LocalStoreConfig) -> Result<LocalStore, LocalStoreError> {
        let relative_store = config.store_dir.as_str().trim_start_matches('/');
        let real_store_dir = config.root.join(relative_store);
        let state_dir = config.root.join("nix/var/nix");
        let db_dir = state_dir.join("db");
        for dir in [
            &real_store_dir,
            &db_dir,
            &state_dir.join("gcroots"),
            &state_dir.join("profiles"),
            &state_dir.join("temproots"),
        ] {
            fs::create_dir_all(dir).map_err(|e| LocalStoreError::io("creating", dir, e))?;
        }
        let big_lock_path = db_dir.join("big-lock");
        let big_lock = lock::open_lock_file(&big_lock_path)?;
        let locking = |result: io::Result<()>| {
            result.map_err(|e| LocalStoreError::io("locking", &big_lock_path, e))
        };
        // A new database is created under the exclusive lock, so that
        // processes opening a fresh store at once never see it half made.
        let creating = !db::Database::exists(&db_dir);
        if creating {
            locking(big_lock.lock())?;
        } else {
            locking(big_lock.lock_shared())?;
        }
        let db = db::Database::open(&db_dir, config.store_dir.clone())?;
        if creating {
            locking(big_lock.lock_shared())?;
        }
        let temp_roots = temproots::TempRoots::new(state_dir.join("temproots"));
        Ok(LocalStore {
            config,
            real_store_dir,
            state_dir,
            db,
            temp_roots,
            _big_lock: big_lock,
        })
    }

    /// The logical store directory.
    pub fn store_dir(&self) -> &StoreDir {
        &self.config.store_dir
    }

    /// Where `path`'s files are on this machine.
    pub fn real_path(&self, path: &StorePath) -> PathBuf {
        self.real_store_dir.join(path.to_string())
    }

    /// The state directory (`ROOT/nix/var/nix`).
    pub fn state_dir(&self) -> &Path {
        &self.state_dir
    }

    /// Parses an absolute path in this store's directory.
    pub fn parse_path(&self, text: &str) -> Result<StorePath, crate::path::PathError> {
        self.config.store_dir.parse_path(text)
    }

    /// True when `path` is valid.
    pub fn is_valid(&self, path: &StorePath) -> Result<bool, LocalStoreError> {
        self.db.is_valid(path)
    }

    /// Everything known about `path`, or `None` when it is not valid.
    pub fn path_info(&self, path: &StorePath) -> Result<Option<PathInfo>, LocalStoreError> {
        self.db.path_info(path)
    }

    /// The valid paths that refer to `path`.
    pub fn referrers(&self, path: &StorePath) -> Result<BTreeSet<StorePath>, LocalStoreError> {
        self.db.referrers(path)
    }

    /// Every valid path, sorted.
    pub fn valid_paths(&self) -> Result<Vec<StorePath>, LocalStoreError> {
        self.db.all_valid()
    }

    /// The store path that `given` names: a store path, a path inside one,
    /// or a symlink (such as `result`) that leads to either.
    pub fn resolve(&self, given: &Path) -> Result<StorePath, LocalStoreError> {
        let named = |path: &Path| self.store_dir().store_path_of(&path.to_string_lossy());
        if let Ok(path) = named(given) {
            return Ok(path);
        }
        let target =
            fs::read_link(given).map_err(|e| LocalStoreError::io("resolving", given, e))?;
        let target = given
            .parent()
            .map_or_else(|| target.clone(), |dir| dir.join(&target));
        Ok(named(&target)?)
    }

    /// The total NAR size of `path`'s closure.
    pub fn closure_size(&self, path: &StorePath) -> Result<u64, LocalStoreError> {
        let mut total = 0;
        for member in self.closure(std::slice::from_ref(path))? {
            total += self.path_info(&member)?.map_or(0, |info| info.nar_size);
        }
        Ok(total)
    }

    /// `paths` and everything they refer to, directly or not.
    pub fn closure(&self, paths: &[StorePath]) -> Result<BTreeSet<StorePath>, LocalStoreError> {
        let mut closure = BTreeSet::new();
        let mut todo: Vec<StorePath> = paths.to_vec();
        while let Some(path) = todo.pop() {
            if closure.contains(&path) {
                continue;
            }
            let info = self
                .db
                .path_info(&path)?
                .ok_or_else(|| LocalStoreError::NotValid(self.store_dir().display_path(&path)))?;
            todo.extend(info.references.into_iter().filter(|r| !closure.contains(r)));
            closure.insert(path);
        }
        Ok(closure)
    }

    /// Adds the file or tree at `source` as `name`, as `nix-store --add`
    /// (recursive) or `nix store add-file` (flat, one regular file) do, and
    /// returns its store path. Adding what is already valid changes nothing.
    pub fn add_path(
        &mut self,
        source: &Path,
        name: &StorePathName,
        method: FileIngestionMethod,
    ) -> Result<StorePath, LocalStoreError> {
        self.add_path_filtered(source, name, method, &mut |_| true)
    }

    /// Like [`add_path`](Self::add_path), leaving out of a recursive add the
    /// entries `filter` refuses (`builtins.path`'s `filter`).
    pub fn add_path_filtered(
        &mut self,
        source: &Path,
        name: &StorePathName,
        method: FileIngestionMethod,
        filter: nar::PathFilter<'_>,
    ) -> Result<StorePath, LocalStoreError> {
        // A flat add stores one regular file; like Nix, follow a symlink to it.
        let source = match method {
            FileIngestionMethod::Recursive => source.to_path_buf(),
            FileIngestionMethod::Flat => {
                let resolved = fs::canonicalize(source)
                    .map_err(|e| LocalStoreError::io("resolving", source, e))?;
                let meta = fs::metadata(&resolved)
                    .map_err(|e| LocalStoreError::io("inspecting", source, e))?;
                if !meta.is_file() {
                    return Err(LocalStoreError::NotAFile(source.to_path_buf()));
                }
                resolved
            }
        };
        let staging = self.staging_dir()?;
        let copy = staging.contents();
        let (nar_hash, nar_size) = copy_as_nar(&source, &copy, filter)?;
        // Hashes describe the copy, never the source, which may change meanwhile.
        let hash = match method {
            FileIngestionMethod::Recursive => nar_hash,
            FileIngestionMethod::Flat => nar::hash_path(&copy, HashAlgo::Sha256, HashMode::Flat)?.0,
        };
        let ca = ContentAddress::Fixed { method, hash };
        let path = ca.store_path(self.store_dir(), name, &BTreeSet::new(), false)?;
        let info = PathInfo {
            path,
            nar_hash,
            nar_size,
            references: BTreeSet::new(),
            deriver: None,
            registration_time: now(),
            ultimate: false,
            signatures: BTreeSet::new(),
            ca: Some(ca),
        };
        self.install(&copy, info)
    }

    /// A fresh staging directory inside the store directory, so that the
    /// final move is a rename on one filesystem. Its name starts with a dot,
    /// which no store path can.
    fn staging_dir(&self) -> Result<Staging, LocalStoreError> {
        Staging::new(&self.real_store_dir, ".cairn-add-")
    }

    /// Moves the finished `copy`, canonical already, to `info.path` and
    /// registers it, under the path's lock. Returns the path.
    fn install(&mut self, copy: &Path, info: PathInfo) -> Result<StorePath, LocalStoreError> {
        let target = self.real_path(&info.path);
        // Kept from collection for as long as this process lives.
        let _gc = self.add_temp_root(&info.path)?;
        let _lock = PathLock::acquire(&lock_path(&target))?;
        if self.is_valid(&info.path)? {
            return Ok(info.path);
        }
        // Left over from an add that crashed before registering: never valid,
        // so nothing can be using it.
        remove_tree(&target)?;
        fs::rename(copy, &target)
            .map_err(|e| LocalStoreError::io("moving into place", &target, e))?;
        // Moving a directory rewrites its `..` entry, which touches its mtime.
        canonical::canonicalise_entry(&target)?;
        // Contents and rename reach the disk before the registration does.
        if self.config.fsync {
            canonical::sync_filesystem(&target)?;
        }
        self.db.register(&info)?;
        Ok(info.path)
    }

    /// How this store was opened.
    pub fn config(&self) -> &LocalStoreConfig {
        &self.config
    }

    /// Keeps `path` from garbage collection while this process lives. The
    /// returned guard holds the GC lock shared: a collection cannot start
    /// (or be running) until it is dropped, so whatever the caller makes
    /// valid meanwhile is seen by the next collection through the root.
    pub fn add_temp_root(&mut self, path: &StorePath) -> Result<fs::File, LocalStoreError> {
        let gc_lock = self.gc_lock(false)?;
        let absolute = self.store_dir().display_path(path);
        self.temp_roots.add(&absolute)?;
        Ok(gc_lock)
    }

    /// The lock file a collection holds exclusively and every add shared.
    fn gc_lock_path(&self) -> PathBuf {
        self.state_dir.join("gc.lock")
    }

    /// Takes `gc.lock`: exclusively to collect or delete, shared to register
    /// a temporary root (Nix's collector takes the same lock).
    fn gc_lock(&self, exclusive: bool) -> Result<fs::File, LocalStoreError> {
        let lock_path = self.gc_lock_path();
        let file = lock::open_lock_file(&lock_path)?;
        let locked = if exclusive {
            file.lock()
        } else {
            file.lock_shared()
        };
        locked.map_err(|e| LocalStoreError::io("locking", &lock_path, e))?;
        Ok(file)
    }

    /// Deletes `paths`, which no other valid path may refer to (paths in the
    /// same call may refer to each other) and no garbage-collector root may
    /// keep alive. Each path is made invalid first and removed from disk
    /// after, so the database never lists a path whose files are gone.
    pub fn delete(&mut self, paths: &[StorePath]) -> Result<(), LocalStoreError> {
        let _gc = self.gc_lock(true)?;
        self.check_not_live(paths, true)?;
        let doomed: BTreeSet<StorePath> = paths.iter().cloned().collect();
        // Referrers before what they refer to.
        let mut order: Vec<StorePath> = Vec::with_capacity(doomed.len());
        let mut placed: BTreeSet<StorePath> = BTreeSet::new();
        for path in &doomed {
            self.place_after_referrers(path, &doomed, &mut placed, &mut order)?;
        }
        for path in order {
            let target = self.real_path(&path);
            let _lock = PathLock::acquire(&lock_path(&target))?;
            if self.is_valid(&path)? {
                self.db.invalidate(&path)?;
            }
            remove_tree(&target)?;
        }
        Ok(())
    }

    fn place_after_referrers(
        &self,
        path: &StorePath,
        doomed: &BTreeSet<StorePath>,
        placed: &mut BTreeSet<StorePath>,
        order: &mut Vec<StorePath>,
    ) -> Result<(), LocalStoreError> {
        // Iterative depth-first walk up the referrer graph.
        let mut stack = vec![(path.clone(), false)];
        while let Some((current, referrers_done)) = stack.pop() {
            if placed.contains(&current) {
                continue;
            }
            if referrers_done {
                placed.insert(current.clone());
                order.push(current);
                continue;
            }
            stack.push((current.clone(), true));
            for referrer in self.db.referrers(&current)? {
                if referrer == current || placed.contains(&referrer) {
                    continue;
                }
                if !doomed.contains(&referrer) {
                    return Err(LocalStoreError::StillReferenced {
                        path: self.store_dir().display_path(&current),
                        referrer: self.store_dir().display_path(&referrer),
                    });
                }
                stack.push((referrer, false));
            }
        }
        Ok(())
    }

    /// Checks that every valid path exists, and with `check_contents`, that
    /// its NAR hash and size still match the database.
    pub fn verify(&self, check_contents: bool) -> Result<VerifyReport, LocalStoreError> {
        let mut report = VerifyReport::default();
        for path in self.db.all_valid()? {
            report.checked += 1;
            let real = self.real_path(&path);
            if fs::symlink_metadata(&real).is_err() {
                report.missing.push(path);
                continue;
            }
            if !check_contents {
                continue;
            }
            let Some(info) = self.db.path_info(&path)? else {
                continue;
            };
            let (actual, size) = nar::hash_path(&real, info.nar_hash.algo(), HashMode::Recursive)?;
            if actual != info.nar_hash || size != info.nar_size {
                report.modified.push((path, info.nar_hash, actual));
            }
        }
        Ok(report)
    }
}

/// `<store path>.lock`, the lock file Nix uses for a path.
fn lock_path(real_path: &Path) -> PathBuf {
    let mut name = real_path.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Copies `source` to `target`, with canonical metadata, and returns the
/// SHA-256 and size of its NAR serialisation, reading the source once:
/// each file's bytes go both into the copy and into the NAR stream (so
/// what is hashed is exactly what is written), and the stream is hashed on
/// a second thread while this one does the IO.
fn copy_as_nar(
    source: &Path,
    target: &Path,
    filter: nar::PathFilter<'_>,
) -> Result<(Hash, u64), LocalStoreError> {
    let ((), hash, size) = crate::hash::hash_in_background(HashAlgo::Sha256, |stream| {
        nar::dump_path_and_copy(source, stream, target, filter).map(|_| ())
    })?;
    Ok((hash, size))
}

/// Where a path's contents are made before they are moved into place: a
/// fresh name in the store directory (no directory around it, so staging
/// costs no inode of its own). Dropping it removes what is there,
/// read-only directories of a canonical copy included.
#[derive(Debug)]
struct Staging {
    contents: PathBuf,
}

impl Staging {
    /// A name `prefix…` in `real_store_dir` that nothing uses: a name
    /// starting with a dot, which no store path can have, made unique by
    /// this process's id, a counter and the time. Whatever is made there
    /// is created exclusively, so a clash would be an error, never a mix.
    fn new(real_store_dir: &Path, prefix: &str) -> Result<Staging, LocalStoreError> {
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let count = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!("{prefix}{}-{count}-{nanos:x}", std::process::id());
        Ok(Staging {
            contents: real_store_dir.join(name),
        })
    }

    /// Where the contents go (they do not exist yet).
    fn contents(&self) -> PathBuf {
        self.contents.clone()
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        // Gone already once moved into place.
        let _ = remove_tree(&self.contents);
    }
}
