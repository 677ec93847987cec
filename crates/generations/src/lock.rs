//! The per-profile lock, compatible with Nix's `lockProfile`.
//!
//! Nix locks `<profile>.lock` with `flock(LOCK_EX)` and deletes the file
//! when it lets go, with the same protocol as its per-path locks; cairn
//! uses the store's [`PathLock`], which follows that protocol, so cairn and
//! Nix exclude each other.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use cairn_store::local::{LocalStoreError, PathLock};

use crate::Error;

/// An exclusive lock on a profile, released (and its file removed) on drop.
#[derive(Debug)]
pub struct ProfileLock {
    lock: PathLock,
}

impl ProfileLock {
    /// Blocks until the lock on `profile` is ours.
    pub fn acquire(profile: &Path) -> Result<ProfileLock, Error> {
        let path = lock_path(profile);
        match PathLock::acquire(&path) {
            Ok(lock) => Ok(ProfileLock { lock }),
            // Keep the profile-flavoured message for the common failure (a
            // missing directory).
            Err(LocalStoreError::Io { source, .. }) => {
                Err(Error::io("opening lock file", &path)(source))
            }
            Err(other) => Err(Error::Store(other)),
        }
    }

    /// The lock file, `<profile>.lock`.
    pub fn path(&self) -> &Path {
        self.lock.path()
    }
}

/// `<profile>.lock`.
pub fn lock_path(profile: &Path) -> PathBuf {
    let mut s = OsString::from(profile.as_os_str());
    s.push(".lock");
    PathBuf::from(s)
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
