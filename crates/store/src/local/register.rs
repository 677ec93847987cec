//! Making a builder's outputs valid: staging directories inside the store,
//! output locks, canonical ownership, and registering all outputs of one
//! build in one database transaction.
//!
//! The order is what makes a build crash-safe: the builder writes into a
//! staging directory (invisible to everyone, never valid); the outputs are
//! checked and hashed there; then, under the outputs' locks, each is renamed
//! to its final path, its files and the store directory are flushed, and
//! only then are they all registered at once. A crash before the transaction commits leaves at
//! worst unregistered directories, which the next build of the same outputs
//! removes.

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::{LocalStore, LocalStoreError, PathLock, canonical, lock_path};
use crate::path::StorePath;
use crate::path_info::PathInfo;

/// Flushes the files and directories of the tree at `path` to disk, one
/// `fsync` each (symlinks have no data of their own). A builder can call
/// it on its staged outputs, off the thread that registers, so that the
/// flush [`LocalStore::register_outputs`] does finds nothing left to write.
pub fn sync_tree(path: &Path) -> Result<(), LocalStoreError> {
    let meta =
        fs::symlink_metadata(path).map_err(|e| LocalStoreError::io("inspecting", path, e))?;
    if meta.file_type().is_symlink() {
        return Ok(());
    }
    if meta.is_dir() {
        for entry in fs::read_dir(path).map_err(|e| LocalStoreError::io("reading", path, e))? {
            let entry = entry.map_err(|e| LocalStoreError::io("reading", path, e))?;
            sync_tree(&entry.path())?;
        }
    }
    fs::File::open(path)
        .and_then(|file| file.sync_all())
        .map_err(|e| LocalStoreError::io("flushing", path, e))
}

/// A finished output waiting in a staging directory to become valid.
#[derive(Debug, Clone)]
pub struct StagedOutput {
    /// Where its canonical contents are now (inside the store's real
    /// directory, so that moving them is a rename).
    pub staged: PathBuf,
    /// What will be registered; `info.path` is where it goes.
    pub info: PathInfo,
    /// Its files are on disk already ([`sync_tree`] of `staged`): moving
    /// them changes no contents, so registering flushes only the store
    /// directory, not the files again (the rename dirties each moved
    /// inode's ctime, and flushing that would cost a disk write each).
    pub flushed: bool,
}

/// A staging directory in the store's real directory, removed (with
/// whatever is left in it) when dropped. Its name starts with a dot, which
/// no store path can. It is `flock`ed while in use, so that the collector
/// can tell one a killed process left behind and remove it.
#[derive(Debug)]
pub struct StagingDir {
    path: PathBuf,
    _lock: fs::File,
}

/// The name prefix of staging directories.
pub(super) const STAGING_PREFIX: &str = ".cairn-build-";

impl StagingDir {
    /// The directory on this machine.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for StagingDir {
    fn drop(&mut self) {
        // Canonical contents are read-only; remove_tree makes them writable.
        let _ = canonical::remove_tree(&self.path);
    }
}

/// Exclusive locks on a set of store paths (`<path>.lock`, as Nix's
/// `PathLocks`): while held, no other cairn or Nix process builds,
/// substitutes or deletes these paths.
#[derive(Debug)]
pub struct OutputLocks {
    paths: BTreeSet<StorePath>,
    _locks: Vec<PathLock>,
}

impl OutputLocks {
    /// The locked paths.
    pub fn paths(&self) -> &BTreeSet<StorePath> {
        &self.paths
    }
}

/// Canonicalises a freshly built output in place: owned by this process's
/// user (a build user's files become root's when we are root), every mtime
/// 1, modes 0444/0555, no setuid, setgid or sticky bits.
pub fn canonicalise_output(path: &Path) -> Result<(), LocalStoreError> {
    take_ownership(path)?;
    canonical::canonicalise_tree(path)
}

fn take_ownership(path: &Path) -> Result<(), LocalStoreError> {
    let meta =
        fs::symlink_metadata(path).map_err(|e| LocalStoreError::io("inspecting", path, e))?;
    let (uid, gid) = (effective_uid(), effective_gid());
    if meta.uid() != uid || meta.gid() != gid {
        std::os::unix::fs::lchown(path, Some(uid), Some(gid))
            .map_err(|e| LocalStoreError::io("changing the owner of", path, e))?;
    }
    if meta.is_dir() {
        for entry in fs::read_dir(path).map_err(|e| LocalStoreError::io("reading", path, e))? {
            let entry = entry.map_err(|e| LocalStoreError::io("reading", path, e))?;
            take_ownership(&entry.path())?;
        }
    }
    Ok(())
}

fn effective_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

fn effective_gid() -> u32 {
    // SAFETY: getegid has no preconditions and cannot fail.
    unsafe { libc::getegid() }
}

impl LocalStore {
    /// A fresh staging directory in the store's real directory, for a
    /// builder's outputs.
    pub fn build_staging_dir(&self) -> Result<StagingDir, LocalStoreError> {
        // Made and locked under the shared GC lock: a collection never sees
        // it unlocked while its build runs.
        let _gc = self.gc_lock(false)?;
        let dir = tempfile::Builder::new()
            .prefix(STAGING_PREFIX)
            .tempdir_in(&self.real_store_dir)
            .map_err(|e| {
                LocalStoreError::io("creating a staging directory in", &self.real_store_dir, e)
            })?;
        let path = dir.keep();
        let lock = fs::File::open(&path)
            .and_then(|dir| dir.lock().map(|()| dir))
            .map_err(|e| LocalStoreError::io("locking", &path, e));
        match lock {
            Ok(lock) => Ok(StagingDir { path, _lock: lock }),
            Err(e) => {
                let _ = fs::remove_dir(&path);
                Err(e)
            }
        }
    }

    /// Takes the locks of `paths`, waiting for other holders, in sorted
    /// order so that two processes locking overlapping sets cannot deadlock.
    pub fn lock_outputs(
        &self,
        paths: impl IntoIterator<Item = StorePath>,
    ) -> Result<OutputLocks, LocalStoreError> {
        let paths: BTreeSet<StorePath> = paths.into_iter().collect();
        let mut locks = Vec::with_capacity(paths.len());
        for path in &paths {
            locks.push(PathLock::acquire(&lock_path(&self.real_path(path)))?);
        }
        Ok(OutputLocks {
            paths,
            _locks: locks,
        })
    }

    /// Moves the staged outputs of one build to their paths (unless they
    /// are there already) and registers them in one transaction (all or
    /// none). The caller holds `locks` on
    /// every output path. Outputs that are valid already are left as they
    /// are and their staged copies ignored. Returns the paths newly made
    /// valid.
    pub fn register_outputs(
        &mut self,
        outputs: &[StagedOutput],
        locks: &OutputLocks,
    ) -> Result<Vec<StorePath>, LocalStoreError> {
        let mut infos = Vec::with_capacity(outputs.len());
        let mut moved: Vec<PathBuf> = Vec::with_capacity(outputs.len());
        let (mut to_flush, mut to_flush_top) = (Vec::new(), Vec::new());
        let result = (|| {
            for output in outputs {
                let path = &output.info.path;
                if !locks.paths.contains(path) {
                    return Err(LocalStoreError::Corrupt {
                        what: format!(
                            "registering {} without holding its lock",
                            self.store_dir().display_path(path)
                        ),
                    });
                }
                if self.is_valid(path)? {
                    continue;
                }
                // Kept from collection while this process lives.
                drop(self.add_temp_root(path)?);
                let target = self.real_path(path);
                // A builder outside the sandbox writes in place.
                if output.staged != target {
                    // Left over from a build that crashed before registering.
                    canonical::remove_tree(&target)?;
                    fs::rename(&output.staged, &target)
                        .map_err(|e| LocalStoreError::io("moving into place", &target, e))?;
                }
                moved.push(target.clone());
                // Moving a directory rewrites its `..` entry, which touches its mtime.
                canonical::canonicalise_entry(&target)?;
                if !output.flushed {
                    to_flush.push(target.clone());
                } else if target.is_dir() {
                    // Its new `..` and mtime; what is below it is flushed.
                    to_flush_top.push(target.clone());
                }
                infos.push(output.info.clone());
            }
            if infos.is_empty() {
                return Ok(());
            }
            // Each output's own files (unless the builder's side has
            // flushed them already, see `StagedOutput::flushed`) and the
            // store directory, for the renames. Not `syncfs`: on a shared
            // filesystem that also waits for everyone else's writes.
            if self.config.fsync {
                for target in &to_flush {
                    sync_tree(target)?;
                }
                for target in &to_flush_top {
                    fs::File::open(target)
                        .and_then(|file| file.sync_all())
                        .map_err(|e| LocalStoreError::io("flushing", target, e))?;
                }
                let dir = &self.real_store_dir;
                fs::File::open(dir)
                    .and_then(|file| file.sync_all())
                    .map_err(|e| LocalStoreError::io("flushing", dir, e))?;
            }
            self.db.register_all(&infos)
        })();
        match result {
            Ok(()) => Ok(infos.into_iter().map(|info| info.path).collect()),
            Err(e) => {
                // Nothing was registered: what was moved is garbage.
                for target in moved {
                    let _ = canonical::remove_tree(&target);
                }
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::hash::{Hash, HashAlgo};
    use crate::local::LocalStoreConfig;
    use crate::nar::{self, HashMode};

    fn staged(
        store: &LocalStore,
        dir: &StagingDir,
        name: &str,
        refs: &[&StorePath],
    ) -> StagedOutput {
        let fake = Hash::of(HashAlgo::Sha256, name.as_bytes());
        let path = store
            .store_dir()
            .make_output_path(
                "out",
                &fake,
                &crate::path::StorePathName::new(name).unwrap(),
            )
            .unwrap();
        let staged = dir.path().join(path.to_string());
        fs::write(&staged, name).unwrap();
        canonicalise_output(&staged).unwrap();
        let (nar_hash, nar_size) =
            nar::hash_path(&staged, HashAlgo::Sha256, HashMode::Recursive).unwrap();
        StagedOutput {
            staged,
            info: PathInfo {
                path,
                nar_hash,
                nar_size,
                references: refs.iter().map(|r| (*r).clone()).collect(),
                deriver: None,
                registration_time: 1,
                ultimate: true,
                signatures: BTreeSet::new(),
                ca: None,
            },
            flushed: false,
        }
    }

    #[test]
    fn registers_outputs_that_refer_to_each_other_at_once() {
        let root = tempfile::tempdir().unwrap();
        let mut store = LocalStore::open(LocalStoreConfig::chroot(root.path())).unwrap();
        let dir = store.build_staging_dir().unwrap();
        let mut dev = staged(&store, &dir, "x-dev", &[]);
        let out = staged(&store, &dir, "x", &[&dev.info.path]);
        dev.info.references.insert(out.info.path.clone());
        let outputs = [out.clone(), dev.clone()];
        let locks = store
            .lock_outputs(outputs.iter().map(|o| o.info.path.clone()))
            .unwrap();
        let made = store.register_outputs(&outputs, &locks).unwrap();
        assert_eq!(made.len(), 2);
        let info = store.path_info(&dev.info.path).unwrap().unwrap();
        assert_eq!(info.references, BTreeSet::from([out.info.path.clone()]));
        assert!(store.real_path(&out.info.path).is_file());
        let staging = dir.path().to_path_buf();
        drop(dir);
        assert!(!staging.exists());
    }

    #[test]
    fn a_missing_reference_registers_nothing_and_removes_the_moved() {
        let root = tempfile::tempdir().unwrap();
        let mut store = LocalStore::open(LocalStoreConfig::chroot(root.path())).unwrap();
        let dir = store.build_staging_dir().unwrap();
        let ghost = staged(&store, &dir, "ghost", &[]);
        let a = staged(&store, &dir, "a", &[]);
        let b = staged(&store, &dir, "b", &[&ghost.info.path]);
        let outputs = [a.clone(), b.clone()];
        let locks = store
            .lock_outputs(outputs.iter().map(|o| o.info.path.clone()))
            .unwrap();
        let err = store.register_outputs(&outputs, &locks).unwrap_err();
        assert!(
            matches!(err, LocalStoreError::InvalidReference { .. }),
            "{err}"
        );
        assert!(!store.is_valid(&a.info.path).unwrap());
        assert!(!store.real_path(&a.info.path).exists());
    }
}
