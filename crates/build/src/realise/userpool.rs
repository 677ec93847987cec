//! Build users shared with Nix: a build runs as `nixbldN` only while it
//! holds the lock on `<state dir>/userpool/<uid>`, the file Nix 2.8 locks
//! (with `flock`) for the same purpose. Nix kills every process of a build
//! user before and after using it, so two programs building as the same
//! user at once kill each other's builders.
//!
//! The lock directory is the host's (`NIX_STATE_DIR`, else `/nix/var/nix`),
//! whatever store is used, as Nix's is.

use std::fs::{self, File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

use crate::HostIds;

/// Where Nix keeps its user locks.
fn pool_dir() -> PathBuf {
    std::env::var_os("NIX_STATE_DIR")
        .map_or_else(|| PathBuf::from("/nix/var/nix"), PathBuf::from)
        .join("userpool")
}

/// A build user this process may use until it is dropped.
pub struct UserLock {
    /// The user.
    pub user: HostIds,
    /// Holds the lock; `None` when the lock directory cannot be used (then
    /// nothing is shared with Nix, as before).
    _file: Option<File>,
}

/// The first of `users` nobody else (no other cairn or Nix process) uses,
/// taken out of `users`; `None` when all are in use.
pub fn take_free(users: &mut Vec<HostIds>) -> Option<UserLock> {
    let dir = pool_dir();
    if fs::create_dir_all(&dir).is_err() {
        let user = users.pop()?;
        return Some(UserLock { user, _file: None });
    }
    // From the end, so that the order of `users` is kept when none is busy.
    let position = (0..users.len()).rev().find_map(|i| {
        let path = dir.join(users[i].uid.to_string());
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)
            .ok()?;
        file.try_lock().ok().map(|()| (i, file))
    });
    let (i, file) = position?;
    Some(UserLock {
        user: users.remove(i),
        _file: Some(file),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code: a panic is the failure report

    use super::*;

    #[test]
    fn a_user_locked_elsewhere_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        // SAFETY: no other test of this binary reads NIX_STATE_DIR.
        unsafe { std::env::set_var("NIX_STATE_DIR", dir.path()) };
        let ids = |uid| HostIds { uid, gid: 100 };
        let mut users = vec![ids(2), ids(1)];
        let first = take_free(&mut users).unwrap();
        assert_eq!(first.user.uid, 1);
        // Another process's lock (flock locks belong to the open file).
        let other = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(dir.path().join("userpool/2"))
            .unwrap();
        other.try_lock().unwrap();
        assert!(take_free(&mut users).is_none());
        assert_eq!(users.len(), 1);
        drop(other);
        assert_eq!(take_free(&mut users).unwrap().user.uid, 2);
    }
}
