//! Adding text files (`builtins.toFile` results, `.drv` files), many at once.
//!
//! Instantiating a package set writes thousands of small `.drv` files.
//! Adding each on its own would flush the filesystem once per file; here
//! they are all written, flushed once, and only then registered together
//! in one transaction, so the store never lists a path whose contents could
//! still be lost, nor a path without what it refers to.

use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::sync::atomic::{AtomicU64, Ordering};

use super::{LocalStore, LocalStoreError, canonical, now};
use crate::content_address::ContentAddress;
use crate::hash::{Hash, HashAlgo, Hasher};
use crate::nar::NarNode;
use crate::path::{StorePath, StorePathName};
use crate::path_info::PathInfo;

/// A text file to add: its name, contents and the store paths it refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextFile {
    /// The name part of its store path (`hello.drv`).
    pub name: StorePathName,
    /// The contents.
    pub contents: Vec<u8>,
    /// The store paths it refers to; each must be valid, or come earlier
    /// in the same batch.
    pub references: BTreeSet<StorePath>,
}

impl TextFile {
    /// The store path this file gets in `store_dir`.
    pub fn store_path(
        &self,
        store_dir: &crate::path::StoreDir,
    ) -> Result<StorePath, LocalStoreError> {
        let hash = Hash::of(HashAlgo::Sha256, &self.contents);
        Ok(store_dir.make_text_path(&self.name, &hash, &self.references)?)
    }
}

impl LocalStore {
    /// Adds a text file with the given references, as `builtins.toFile` and
    /// the writing of `.drv` files do.
    pub fn add_text(
        &mut self,
        name: &StorePathName,
        contents: &[u8],
        references: &BTreeSet<StorePath>,
    ) -> Result<StorePath, LocalStoreError> {
        let file = TextFile {
            name: name.clone(),
            contents: contents.to_vec(),
            references: references.clone(),
        };
        let mut paths = self.add_texts(std::slice::from_ref(&file))?;
        paths
            .pop()
            .ok_or_else(|| LocalStoreError::NotValid(name.to_string()))
    }

    /// Adds every file in `files` and returns their paths, in order. Files
    /// already valid are left alone; the rest are written, flushed to disk
    /// together, and registered in one transaction.
    pub fn add_texts(&mut self, files: &[TextFile]) -> Result<Vec<StorePath>, LocalStoreError> {
        let mut batch = TextBatch::default();
        let paths = files
            .iter()
            .map(|file| batch.write(self, file))
            .collect::<Result<Vec<_>, _>>()?;
        batch.commit(self)?;
        Ok(paths)
    }
}

/// Text files written to the store but not registered yet: each is on
/// disk (so it can be read) and held by a temporary root, but valid only
/// once [`commit`](TextBatch::commit) has flushed them all and registered
/// them. A batch dropped without committing leaves unregistered files,
/// which are garbage.
#[derive(Debug, Default)]
pub struct TextBatch {
    infos: Vec<PathInfo>,
    written: BTreeSet<StorePath>,
}

impl TextBatch {
    /// Writes `file` into the store (unless it is valid or already in this
    /// batch) and returns its path.
    pub fn write(
        &mut self,
        store: &mut LocalStore,
        file: &TextFile,
    ) -> Result<StorePath, LocalStoreError> {
        let path = file.store_path(store.store_dir())?;
        if self.written.contains(&path) {
            return Ok(path);
        }
        // The shared GC lock is held while the root is recorded, so a
        // collection that starts later sees it.
        let _gc = store.add_temp_root(&path)?;
        if store.is_valid(&path)? {
            return Ok(path);
        }
        // No per-path lock, unlike other adds: the file is complete before
        // it is renamed into place, a rename replaces a regular file
        // atomically, and a racing writer of the same path writes the same
        // bytes. Skipping the lock file spares a file creation and deletion
        // per `.drv`, which dominates instantiating large package sets.
        let target = store.real_path(&path);
        write_text(&target, &file.contents)?;
        let mut hasher = Hasher::new(HashAlgo::Sha256);
        let node = NarNode::Regular {
            executable: false,
            contents: file.contents.clone(),
        };
        let nar_size = node
            .write_nar(&mut hasher)
            .map_err(|e| LocalStoreError::io("hashing", &target, e))?;
        self.infos.push(PathInfo {
            path: path.clone(),
            nar_hash: hasher.finalize(),
            nar_size,
            references: file.references.clone(),
            deriver: None,
            registration_time: now(),
            ultimate: false,
            signatures: BTreeSet::new(),
            ca: Some(ContentAddress::Text(Hash::of(
                HashAlgo::Sha256,
                &file.contents,
            ))),
        });
        self.written.insert(path.clone());
        Ok(path)
    }

    /// Whether `path` was written by this batch (and is not registered yet).
    pub fn contains(&self, path: &StorePath) -> bool {
        self.written.contains(path)
    }

    /// The references of a path written by this batch.
    pub fn references(&self, path: &StorePath) -> Option<&BTreeSet<StorePath>> {
        self.infos
            .iter()
            .find(|info| &info.path == path)
            .map(|info| &info.references)
    }

    /// Flushes every file written to disk, then registers them all in one
    /// transaction.
    pub fn commit(&mut self, store: &mut LocalStore) -> Result<(), LocalStoreError> {
        if self.infos.is_empty() {
            return Ok(());
        }
        // Contents reach the disk before any registration does.
        if store.config.fsync {
            canonical::sync_filesystem(&store.real_store_dir)?;
        }
        let _gc = store.gc_lock(false)?;
        // One transaction: references point only at valid paths or at
        // paths earlier in the batch.
        store.db.register_all(&self.infos)?;
        self.infos.clear();
        self.written.clear();
        Ok(())
    }
}

/// Writes `contents` to `target` through a temporary file (named for this
/// process, so concurrent writers never share one) renamed into place,
/// read-only with mtime 1 as every store file. A leftover regular file at
/// `target` (from an add that crashed before registering) is replaced by
/// the rename itself; anything else there is removed first. The common
/// case costs one create, one write, one `fchmod`, one `futimens` and one rename.
fn write_text(target: &std::path::Path, contents: &[u8]) -> Result<(), LocalStoreError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut temp_name = target.as_os_str().to_owned();
    temp_name.push(format!(
        ".tmp-text-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let temp = std::path::PathBuf::from(temp_name);
    let create = || {
        fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o444)
            .open(&temp)
    };
    let mut file = match create() {
        // Left by an earlier process that had our pid and crashed.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            canonical::remove_tree(&temp)?;
            create()
        }
        other => other,
    }
    .map_err(|e| LocalStoreError::io("creating", &temp, e))?;
    file.write_all(contents)
        .map_err(|e| LocalStoreError::io("writing", &temp, e))?;
    // Canonical as every store file: through the open file, so no path
    // lookups (the umask may have narrowed the mode given at creation).
    let epoch_plus_one = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1);
    file.set_permissions(fs::Permissions::from_mode(0o444))
        .and_then(|()| {
            file.set_times(
                fs::FileTimes::new()
                    .set_accessed(epoch_plus_one)
                    .set_modified(epoch_plus_one),
            )
        })
        .map_err(|e| LocalStoreError::io("canonicalising", &temp, e))?;
    drop(file);
    if fs::rename(&temp, target).is_err() {
        // A directory is in the way (a rename only replaces files).
        canonical::remove_tree(target)?;
        fs::rename(&temp, target)
            .map_err(|e| LocalStoreError::io("moving into place", target, e))?;
    }
    Ok(())
}
