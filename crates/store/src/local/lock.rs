//! File locks shared with Nix: both use `flock(2)`, so a lock taken by
//! cairn excludes Nix and the other way round.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::LocalStoreError;

/// An exclusive lock on `<store path>.lock`, as Nix's `PathLocks` takes
/// while making a path valid or deleting it. The lock file is removed on
/// release, as Nix does.
#[derive(Debug)]
pub struct PathLock {
    file: File,
    path: PathBuf,
}

impl PathLock {
    /// Waits for and takes the lock at `lock_path`.
    pub fn acquire(lock_path: &Path) -> Result<PathLock, LocalStoreError> {
        let io = |source| LocalStoreError::io("locking", lock_path, source);
        loop {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(lock_path)
                .map_err(io)?;
            file.lock().map_err(io)?;
            // The holder before us may have deleted the file on release; a
            // lock on a deleted file protects nothing, so start over.
            if file.metadata().map_err(io)?.nlink() == 0 {
                continue;
            }
            return Ok(PathLock {
                file,
                path: lock_path.to_path_buf(),
            });
        }
    }
}

impl Drop for PathLock {
    fn drop(&mut self) {
        // Delete before unlocking, so a waiter that then gets the lock sees
        // the file is gone and retries on a fresh one.
        let _ = std::fs::remove_file(&self.path);
        let _ = self.file.unlock();
    }
}

/// Opens (creating) a lock file without locking it: the store-wide "big
/// lock", which every process holds shared while it uses the store (creating
/// or migrating the database takes it exclusively), or the GC lock.
pub fn open_lock_file(path: &Path) -> Result<File, LocalStoreError> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|source| LocalStoreError::io("opening", path, source))
}
