//! File locks shared with Nix: both use `flock(2)`, so a lock taken by
//! cairn excludes Nix and the other way round.
//!
//! Nix deletes a lock file when it lets go, so a waiter may end up holding
//! the lock of a file nobody else can open any more. Nix's protocol (its
//! `PathLocks`): the holder unlinks the file and then writes one byte into
//! it before closing; whoever obtains a lock on a non-empty file knows it
//! is stale and starts again. cairn follows it in both roles (and also
//! treats an unlinked file as stale), so cairn and Nix exclude each other.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use super::LocalStoreError;

/// An exclusive lock on a lock file, as Nix's `PathLocks` takes on
/// `<store path>.lock` while making a path valid or deleting it, and on
/// `<profile>.lock` while changing a profile. The lock file is removed on
/// release, as Nix does.
#[derive(Debug)]
pub struct PathLock {
    file: File,
    path: PathBuf,
}

impl PathLock {
    /// Waits for and takes the lock at `lock_path`.
    pub fn acquire(lock_path: &Path) -> Result<PathLock, LocalStoreError> {
        match Self::take(lock_path, true)? {
            Some(lock) => Ok(lock),
            None => Err(LocalStoreError::io(
                "locking",
                lock_path,
                std::io::Error::from(std::io::ErrorKind::WouldBlock),
            )),
        }
    }

    /// Takes the lock at `lock_path` if nobody holds it; `None` if someone
    /// does.
    pub fn try_acquire(lock_path: &Path) -> Result<Option<PathLock>, LocalStoreError> {
        Self::take(lock_path, false)
    }

    fn take(lock_path: &Path, wait: bool) -> Result<Option<PathLock>, LocalStoreError> {
        let io = |source| LocalStoreError::io("locking", lock_path, source);
        loop {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o600)
                .open(lock_path)
                .map_err(io)?;
            if wait {
                file.lock().map_err(io)?;
            } else {
                match file.try_lock() {
                    Ok(()) => {}
                    Err(std::fs::TryLockError::WouldBlock) => return Ok(None),
                    Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
                }
            }
            // The holder before us may have deleted the file on release; a
            // lock on a deleted file protects nothing, so start over.
            let meta = file.metadata().map_err(io)?;
            if meta.nlink() == 0 {
                continue;
            }
            if meta.len() != 0 {
                // Marked stale but still linked: nobody releases it the
                // usual way, and Nix would wait for ever. We hold its lock,
                // so it is ours to remove.
                let _ = std::fs::remove_file(lock_path);
                continue;
            }
            return Ok(Some(PathLock {
                file,
                path: lock_path.to_path_buf(),
            }));
        }
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for PathLock {
    fn drop(&mut self) {
        // Delete, then mark the inode stale, before unlocking: a waiter that
        // then gets the lock (cairn or Nix) sees it is stale and retries on
        // a fresh file.
        let _ = std::fs::remove_file(&self.path);
        let _ = self.file.write_all(b"d");
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
