//! The per-profile lock, compatible with Nix's `lockProfile`.
//!
//! Nix locks `<profile>.lock` with `flock(LOCK_EX)` and deletes the file
//! when it lets go. Deletion makes a waiter's lock stale, so the protocol
//! (Nix's `PathLocks`) is: the holder unlinks the file and then writes one
//! byte to it before closing; a process that obtains the lock checks the
//! file's size and, if it is not empty, starts again with a fresh file.
//! cairn follows the same protocol, so cairn and Nix exclude each other.

use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::Error;

/// An exclusive lock on a profile, released (and its file removed) on drop.
#[derive(Debug)]
pub struct ProfileLock {
    file: File,
    path: PathBuf,
}

impl ProfileLock {
    /// Blocks until the lock on `profile` is ours.
    pub fn acquire(profile: &Path) -> Result<ProfileLock, Error> {
        let path = lock_path(profile);
        loop {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o600)
                .custom_flags(libc::O_CLOEXEC)
                .open(&path)
                .map_err(Error::io("opening lock file", &path))?;
            flock_exclusive(&file).map_err(Error::io("acquiring lock", &path))?;
            let len = file
                .metadata()
                .map_err(Error::io("statting lock file", &path))?
                .len();
            if len == 0 {
                return Ok(ProfileLock { file, path });
            }
            // The previous holder deleted this file after we opened it:
            // our lock is on a stale inode. Try again with a fresh file.
        }
    }

    /// The lock file, `<profile>.lock`.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ProfileLock {
    fn drop(&mut self) {
        // As Nix's `deleteLockFile`: unlink first, then mark the inode as
        // stale for anyone already waiting on it. Both are best-effort.
        let _ = std::fs::remove_file(&self.path);
        let _ = self.file.write_all(b"d");
        // Closing the file (dropping it) releases the flock.
    }
}

/// `<profile>.lock`.
pub fn lock_path(profile: &Path) -> PathBuf {
    let mut s = OsString::from(profile.as_os_str());
    s.push(".lock");
    PathBuf::from(s)
}

fn flock_exclusive(file: &File) -> io::Result<()> {
    loop {
        // SAFETY: flock only reads its integer arguments; the descriptor is
        // owned by `file`, which outlives the call.
        let r = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
        if r == 0 {
            return Ok(());
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    #[test]
    fn lock_file_is_removed_on_release() {
        let dir = tempfile::tempdir().unwrap();
        let profile = dir.path().join("prof");
        let lock = ProfileLock::acquire(&profile).unwrap();
        assert_eq!(lock.path(), dir.path().join("prof.lock"));
        assert!(lock.path().exists());
        drop(lock);
        assert!(!dir.path().join("prof.lock").exists());
    }

    #[test]
    fn lock_excludes_a_second_holder() {
        let dir = tempfile::tempdir().unwrap();
        let profile = dir.path().join("prof");
        let first = ProfileLock::acquire(&profile).unwrap();
        let (tx, rx) = mpsc::channel();
        let p = profile.clone();
        let waiter = std::thread::spawn(move || {
            let second = ProfileLock::acquire(&p).unwrap();
            tx.send(()).unwrap();
            drop(second);
        });
        assert!(rx.recv_timeout(Duration::from_millis(200)).is_err());
        drop(first);
        rx.recv_timeout(Duration::from_secs(10)).unwrap();
        waiter.join().unwrap();
        assert!(!dir.path().join("prof.lock").exists());
    }
}
