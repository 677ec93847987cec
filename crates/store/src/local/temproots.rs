//! Temporary roots: store paths a running process is using, which the
//! garbage collector must keep although no permanent root reaches them.
//!
//! The format is Nix's, so each collector honours the other's processes:
//! a file in `ROOT/nix/var/nix/temproots/` per process, holding absolute
//! store paths each followed by a NUL byte, and write-locked (`flock`) by its
//! owner for as long as it lives. A collector that can take the lock knows
//! the owner is gone and removes the file. Nix names the file after the pid
//! and reads the pid from the leading digits of the name; cairn names it
//! `<pid>-<n>` so that several stores opened by one process never contend
//! for one file.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::LocalStoreError;

/// This process's temporary-roots file, created on first use.
#[derive(Debug)]
pub struct TempRoots {
    dir: PathBuf,
    file: Option<(File, PathBuf)>,
}

impl TempRoots {
    /// Temporary roots kept in `dir` (`ROOT/nix/var/nix/temproots`).
    pub fn new(dir: PathBuf) -> TempRoots {
        TempRoots { dir, file: None }
    }

    /// Records `absolute_path` as a root of this process. The caller holds
    /// the GC lock (shared), so no collection is deciding meanwhile.
    pub fn add(&mut self, absolute_path: &str) -> Result<(), LocalStoreError> {
        let (file, path) = match &mut self.file {
            Some(open) => open,
            None => self.file.insert(create(&self.dir)?),
        };
        let mut record = Vec::with_capacity(absolute_path.len() + 1);
        record.extend_from_slice(absolute_path.as_bytes());
        record.push(0);
        file.write_all(&record)
            .map_err(|e| LocalStoreError::io("writing", path, e))
    }
}

impl Drop for TempRoots {
    fn drop(&mut self) {
        if let Some((file, path)) = self.file.take() {
            let _ = std::fs::remove_file(&path);
            drop(file);
        }
    }
}

fn create(dir: &Path) -> Result<(File, PathBuf), LocalStoreError> {
    static INSTANCE: AtomicU64 = AtomicU64::new(0);
    let name = format!(
        "{}-{}",
        std::process::id(),
        INSTANCE.fetch_add(1, Ordering::Relaxed)
    );
    let path = dir.join(name);
    loop {
        let _ = std::fs::remove_file(&path);
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .map_err(|e| LocalStoreError::io("creating", &path, e))?;
        file.lock()
            .map_err(|e| LocalStoreError::io("locking", &path, e))?;
        // A collector that removed the file between our open and our lock
        // marks it (Nix writes "d"); only an empty file is ours to use.
        let meta = file
            .metadata()
            .map_err(|e| LocalStoreError::io("inspecting", &path, e))?;
        if meta.len() == 0 && meta.nlink() > 0 {
            return Ok((file, path));
        }
    }
}

/// Reads every live process's temporary roots in `dir`, removing the
/// files of processes that are gone. Returns the absolute paths.
pub fn read_all(dir: &Path) -> Result<Vec<String>, LocalStoreError> {
    let mut roots = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(roots),
        Err(e) => return Err(LocalStoreError::io("reading", dir, e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| LocalStoreError::io("reading", dir, e))?;
        if entry.file_name().as_encoded_bytes().first() == Some(&b'.') {
            continue;
        }
        let path = entry.path();
        let mut file = match OpenOptions::new().read(true).write(true).open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(LocalStoreError::io("opening", &path, e)),
        };
        if file.try_lock().is_ok() {
            // Nobody holds it: its process is gone.
            let _ = std::fs::remove_file(&path);
            let _ = file.write_all(b"d");
            continue;
        }
        let contents =
            std::fs::read(&path).map_err(|e| LocalStoreError::io("reading", &path, e))?;
        for record in contents.split(|&b| b == 0).filter(|r| !r.is_empty()) {
            roots.push(String::from_utf8_lossy(record).into_owned());
        }
    }
    Ok(roots)
}
