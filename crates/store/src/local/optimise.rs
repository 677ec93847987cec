//! Deduplication: identical files in the store become hard links to one
//! inode kept under `.links/<NAR hash>`, exactly as Nix's optimiser keeps
//! them, so the two optimisers share their work.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::{LocalStore, LocalStoreError, canonical};
use crate::hash::HashAlgo;
use crate::nar::{self, HashMode};

/// What an optimisation pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct OptimiseStats {
    /// Files replaced by a link to an identical one.
    pub files_linked: u64,
    /// Bytes no longer stored twice.
    pub bytes_freed: u64,
}

impl LocalStore {
    /// Replaces every regular file and symlink of every valid path by a
    /// hard link to its twin under `.links/`, when it has one.
    pub fn optimise(&mut self) -> Result<OptimiseStats, LocalStoreError> {
        let links_dir = self.real_store_dir.join(".links");
        fs::create_dir_all(&links_dir)
            .map_err(|e| LocalStoreError::io("creating", &links_dir, e))?;
        let mut stats = OptimiseStats::default();
        for path in self.valid_paths()? {
            let real = self.real_path(&path);
            let _lock = super::PathLock::acquire(&super::lock_path(&real))?;
            // A path deleted meanwhile has nothing left to optimise.
            if !self.is_valid(&path)? {
                continue;
            }
            let mut optimiser = Optimiser {
                links_dir: &links_dir,
                staging_dir: &self.real_store_dir,
                stats: &mut stats,
            };
            optimiser.walk(&real)?;
        }
        Ok(stats)
    }
}

struct Optimiser<'a> {
    links_dir: &'a Path,
    staging_dir: &'a Path,
    stats: &'a mut OptimiseStats,
}

impl Optimiser<'_> {
    fn walk(&mut self, path: &Path) -> Result<(), LocalStoreError> {
        let meta =
            fs::symlink_metadata(path).map_err(|e| LocalStoreError::io("inspecting", path, e))?;
        if meta.is_dir() {
            let mut entries: Vec<PathBuf> = fs::read_dir(path)
                .map_err(|e| LocalStoreError::io("reading", path, e))?
                .map(|entry| entry.map(|e| e.path()))
                .collect::<Result<_, _>>()
                .map_err(|e| LocalStoreError::io("reading", path, e))?;
            entries.sort();
            for entry in entries {
                self.walk(&entry)?;
            }
            return Ok(());
        }
        // A writable file is not canonical: something is still changing it.
        if meta.is_file() && meta.mode() & 0o222 != 0 {
            return Ok(());
        }
        self.link(path, &meta)
    }

    fn link(&mut self, path: &Path, meta: &fs::Metadata) -> Result<(), LocalStoreError> {
        let (hash, _) = nar::hash_path(path, HashAlgo::Sha256, HashMode::Recursive)?;
        let link = self.links_dir.join(hash.to_nix_base32());
        match fs::symlink_metadata(&link) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                // The first of its kind becomes the one others link to.
                match fs::hard_link(path, &link) {
                    Ok(()) => return Ok(()),
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                    Err(e) => return Err(LocalStoreError::io("linking", &link, e)),
                }
            }
            Err(e) => return Err(LocalStoreError::io("inspecting", &link, e)),
            Ok(existing) if existing.ino() == meta.ino() && existing.dev() == meta.dev() => {
                return Ok(());
            }
            Ok(_) => {}
        }
        // Replace `path` by a new link to the twin: link under a temporary
        // name, then rename over it, so `path` never goes missing.
        let parent = path.parent().unwrap_or(self.staging_dir);
        let staged = self.staging_dir.join(format!(
            ".cairn-link-{}-{}",
            std::process::id(),
            hash.to_nix_base32()
        ));
        let _ = fs::remove_file(&staged);
        fs::hard_link(&link, &staged).map_err(|e| LocalStoreError::io("linking", &staged, e))?;
        let replaced = if parent == self.staging_dir {
            // The store directory is writable already and is no store path:
            // its mode is not ours to canonicalise.
            fs::rename(&staged, path)
        } else {
            with_writable_dir(parent, || fs::rename(&staged, path))
        };
        if let Err(e) = replaced {
            let _ = fs::remove_file(&staged);
            return Err(LocalStoreError::io("replacing", path, e));
        }
        self.stats.files_linked += 1;
        self.stats.bytes_freed += meta.len();
        Ok(())
    }
}

/// Runs `change` with `dir` made writable for it, then makes it canonical
/// again (its mode and its mtime, which the change touched).
fn with_writable_dir<T>(
    dir: &Path,
    change: impl FnOnce() -> std::io::Result<T>,
) -> std::io::Result<T> {
    fs::set_permissions(dir, fs::Permissions::from_mode(0o755))?;
    let result = change();
    let restored = canonical::canonicalise_entry(dir).map_err(std::io::Error::other);
    let value = result?;
    restored?;
    Ok(value)
}
