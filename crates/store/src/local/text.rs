//! Adding text files (`builtins.toFile` results, `.drv` files), many at once.
//!
//! Instantiating a package set writes thousands of small `.drv` files.
//! Adding each on its own would flush the filesystem once per file; here
//! they are all written, flushed once, and only then registered together
//! in one transaction, so the store never lists a path whose contents could
//! still be lost, nor a path without what it refers to.

use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread;

use super::{LocalStore, LocalStoreError, canonical, now};
use crate::content_address::ContentAddress;
use crate::hash::{Hash, HashAlgo};
use crate::nar;
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

/// Text files written to the store but not registered yet: each is held
/// by a temporary root and valid only once [`commit`](TextBatch::commit)
/// has flushed them all and registered them. A batch dropped without
/// committing leaves unregistered files, which are garbage.
///
/// The files themselves are written by a thread of the batch's own, so
/// that the filesystem's work (creating an inode dominates writing a
/// small file) overlaps with whatever the caller does between writes,
/// such as evaluating the next derivation. A file can be read once
/// [`wait_written`](TextBatch::wait_written) has returned.
#[derive(Debug, Default)]
pub struct TextBatch {
    infos: Vec<PathInfo>,
    /// Each path written, with its index in `infos`.
    written: HashMap<StorePath, usize>,
    writer: Option<Writer>,
}

impl TextBatch {
    /// Writes `file` into the store (unless it is valid or already in this
    /// batch) and returns its path. The write itself may still be under
    /// way when this returns; an error it meets is reported by
    /// [`wait_written`](TextBatch::wait_written) or
    /// [`commit`](TextBatch::commit).
    pub fn write(
        &mut self,
        store: &mut LocalStore,
        file: &TextFile,
    ) -> Result<StorePath, LocalStoreError> {
        let path = file.store_path(store.store_dir())?;
        if self.written.contains_key(&path) {
            return Ok(path);
        }
        // The shared GC lock is held while the root is recorded, so a
        // collection that starts later sees it.
        let _gc = store.add_temp_root(&path)?;
        if store.is_valid(&path)? {
            return Ok(path);
        }
        let (nar_hash, nar_size) = nar::hash_regular_file(&file.contents, false, HashAlgo::Sha256);
        self.written.insert(path.clone(), self.infos.len());
        self.infos.push(PathInfo {
            path: path.clone(),
            nar_hash,
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
        // No per-path lock, unlike other adds: the file is complete before
        // it is renamed into place, a rename replaces a regular file
        // atomically, and a racing writer of the same path writes the same
        // bytes. Skipping the lock file spares a file creation and deletion
        // per `.drv`, which dominates instantiating large package sets.
        let writer = self
            .writer
            .get_or_insert_with(|| Writer::start(store.gc_lock_path()));
        let job = (store.real_path(&path), file.contents.clone());
        if let Err(mpsc::SendError((target, contents))) = writer.files.send(job) {
            // A writer stops only at an error: report it now.
            self.wait_written()?;
            write_text(&target, &contents)?;
        }
        Ok(path)
    }

    /// Whether `path` was written by this batch (and is not registered yet).
    pub fn contains(&self, path: &StorePath) -> bool {
        self.written.contains_key(path)
    }

    /// The references of a path written by this batch.
    pub fn references(&self, path: &StorePath) -> Option<&BTreeSet<StorePath>> {
        let index = *self.written.get(path)?;
        self.infos.get(index).map(|info| &info.references)
    }

    /// Returns once every file written so far is in place, or with the
    /// first error writing one of them met.
    pub fn wait_written(&mut self) -> Result<(), LocalStoreError> {
        match self.writer.take() {
            Some(writer) => writer.finish(),
            None => Ok(()),
        }
    }

    /// Flushes every file written to disk, then registers them all in one
    /// transaction. If a file could not be written, nothing is registered.
    pub fn commit(&mut self, store: &mut LocalStore) -> Result<(), LocalStoreError> {
        let written = self.wait_written();
        if written.is_err() {
            self.infos.clear();
            self.written.clear();
        }
        written?;
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

/// The thread that writes a batch's files, in the order they were sent.
/// After its first error it writes nothing more and reports that error.
#[derive(Debug)]
struct Writer {
    files: mpsc::Sender<(PathBuf, Vec<u8>)>,
    thread: thread::JoinHandle<Result<(), LocalStoreError>>,
}

impl Writer {
    fn start(gc_lock_path: PathBuf) -> Writer {
        let (files, received) = mpsc::channel::<(PathBuf, Vec<u8>)>();
        let thread = thread::spawn(move || {
            let gc_lock = super::lock::open_lock_file(&gc_lock_path)?;
            let locking = |e| LocalStoreError::io("locking", &gc_lock_path, e);
            // Stops at the first error: the sender sees the channel closed
            // and `finish` reports it.
            while let Ok(first) = received.recv() {
                // The GC lock is held shared while files are written, as
                // every add holds it: a collection would take a temporary
                // file for garbage. It is let go whenever the queue runs
                // dry, so a collection waits at most for one burst.
                gc_lock.lock_shared().map_err(locking)?;
                let mut next = Some(first);
                while let Some((target, contents)) = next {
                    write_text(&target, &contents)?;
                    next = received.try_recv().ok();
                }
                gc_lock.unlock().map_err(locking)?;
            }
            Ok(())
        });
        Writer { files, thread }
    }

    fn finish(self) -> Result<(), LocalStoreError> {
        drop(self.files);
        self.thread
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
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
    let temp = PathBuf::from(temp_name);
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
