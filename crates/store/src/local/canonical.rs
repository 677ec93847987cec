//! Canonical metadata for store files: what makes a path's bytes on disk
//! independent of how and when it was made.
//!
//! As in Nix: every mtime is 1 (one second after the epoch), regular files
//! are 0444, or 0555 when any execute bit was set, directories are 0555,
//! and setuid, setgid and sticky bits are gone. Symlinks have no mode of
//! their own; only their mtime is set.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use super::LocalStoreError;

/// Canonicalises `path` and everything below it.
pub fn canonicalise_tree(path: &Path) -> Result<(), LocalStoreError> {
    let meta =
        fs::symlink_metadata(path).map_err(|e| LocalStoreError::io("inspecting", path, e))?;
    if meta.is_dir() {
        for entry in fs::read_dir(path).map_err(|e| LocalStoreError::io("reading", path, e))? {
            let entry = entry.map_err(|e| LocalStoreError::io("reading", path, e))?;
            canonicalise_tree(&entry.path())?;
        }
    }
    canonicalise_one(path, &meta)
}

/// Canonicalises `path` alone (not what is below it).
pub fn canonicalise_entry(path: &Path) -> Result<(), LocalStoreError> {
    let meta =
        fs::symlink_metadata(path).map_err(|e| LocalStoreError::io("inspecting", path, e))?;
    canonicalise_one(path, &meta)
}

fn canonicalise_one(path: &Path, meta: &fs::Metadata) -> Result<(), LocalStoreError> {
    let file_type = meta.file_type();
    if !file_type.is_symlink() {
        let mode = if file_type.is_dir() || meta.mode() & 0o111 != 0 {
            0o555
        } else {
            0o444
        };
        if meta.mode() & 0o7777 != mode {
            fs::set_permissions(path, fs::Permissions::from_mode(mode))
                .map_err(|e| LocalStoreError::io("setting the mode of", path, e))?;
        }
    }
    if meta.mtime() != 1 {
        set_mtime_one(path)?;
    }
    Ok(())
}

/// Sets atime and mtime to 1 without following a symlink.
fn set_mtime_one(path: &Path) -> Result<(), LocalStoreError> {
    crate::nar::set_canonical_mtime(path)
        .map_err(|e| LocalStoreError::io("setting the mtime of", path, e))
}

/// Flushes everything written to the filesystem holding `path` to disk:
/// one `syncfs` instead of an `fsync` per file of a large tree.
pub fn sync_filesystem(path: &Path) -> Result<(), LocalStoreError> {
    let dir = fs::File::open(path).map_err(|e| LocalStoreError::io("opening", path, e))?;
    use std::os::fd::AsRawFd;
    // SAFETY: `dir` is an open file descriptor for the duration of the call.
    let rc = unsafe { libc::syncfs(dir.as_raw_fd()) };
    if rc != 0 {
        return Err(LocalStoreError::io(
            "syncing the filesystem of",
            path,
            std::io::Error::last_os_error(),
        ));
    }
    Ok(())
}

/// Removes a file or a whole tree, even one whose canonical read-only
/// directories would stop an unprivileged owner from deleting entries.
pub fn remove_tree(path: &Path) -> Result<(), LocalStoreError> {
    // Most store paths are single files: an unlink alone, without a stat,
    // is what collecting many of them costs.
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::IsADirectory => remove_directory_tree(path),
        Err(e) => Err(LocalStoreError::io("removing", path, e)),
    }
}

/// Removes the directory `path` and everything below it, making each
/// directory writable first.
fn remove_directory_tree(path: &Path) -> Result<(), LocalStoreError> {
    fs::set_permissions(path, fs::Permissions::from_mode(0o755))
        .map_err(|e| LocalStoreError::io("making writable", path, e))?;
    for entry in fs::read_dir(path).map_err(|e| LocalStoreError::io("reading", path, e))? {
        let entry = entry.map_err(|e| LocalStoreError::io("reading", path, e))?;
        let entry_path = entry.path();
        // The type comes with the directory entry on most filesystems.
        let file_type = entry
            .file_type()
            .map_err(|e| LocalStoreError::io("inspecting", &entry_path, e))?;
        if file_type.is_dir() {
            remove_directory_tree(&entry_path)?;
        } else {
            fs::remove_file(&entry_path)
                .map_err(|e| LocalStoreError::io("removing", &entry_path, e))?;
        }
    }
    fs::remove_dir(path).map_err(|e| LocalStoreError::io("removing", path, e))
}
