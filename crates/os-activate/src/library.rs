//! cairn's Nix library (`nix/` in the source tree), built into the binary
//! so that `cairn system` works wherever cairn is installed.
//!
//! The files are written out on first use to a directory named after their
//! hash (under `$XDG_CACHE_HOME/cairn`, `~/.cache/cairn` or the temporary
//! directory), so evaluation reads them as ordinary files and error
//! messages name real paths. A tree with the same hash is reused as it is.

use std::io;
use std::path::{Path, PathBuf};

use cairn_store::hash::{Hash, HashAlgo};

macro_rules! embed {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_str!(concat!("../../../nix/", $path)))),*]
    };
}

/// Every file of the library: its path under `nix/` and its text.
pub const FILES: &[(&str, &str)] = embed![
    "lib/attrsets.nix",
    "lib/default.nix",
    "lib/derivations.nix",
    "lib/lists.nix",
    "lib/modules.nix",
    "lib/options.nix",
    "lib/pretty.nix",
    "lib/strings.nix",
    "lib/trivial.nix",
    "lib/types.nix",
    "modules/config/networking.nix",
    "modules/config/system-path.nix",
    "modules/config/time.nix",
    "modules/config/users-groups.nix",
    "modules/misc/assertions.nix",
    "modules/misc/nixpkgs.nix",
    "modules/misc/version.nix",
    "modules/module-list.nix",
    "modules/system/activation.nix",
    "modules/system/boot.nix",
    "modules/system/etc.nix",
    "modules/system/systemd.nix",
    "modules/system/top-level.nix",
    "system.nix",
];

/// A short hash of all the files, naming the directory they go to.
fn fingerprint() -> String {
    let mut all = Vec::new();
    for (path, text) in FILES {
        all.extend_from_slice(path.as_bytes());
        all.push(0);
        all.extend_from_slice(text.as_bytes());
        all.push(0);
    }
    let hash = Hash::of(HashAlgo::Sha256, &all);
    hash.digest()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Writes the library under `parent` (once per version) and returns its
/// directory.
pub fn materialise(parent: &Path) -> io::Result<PathBuf> {
    let dir = parent.join(format!("nix-{}", fingerprint()));
    if dir.join("system.nix").exists() {
        return Ok(dir);
    }
    std::fs::create_dir_all(parent)?;
    // Written beside, then renamed, so a reader never sees half a tree.
    let staging = tempfile::Builder::new()
        .prefix(".nix-")
        .tempdir_in(parent)?;
    for (path, text) in FILES {
        let file = staging.path().join(path);
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(file, text)?;
    }
    let staged = staging.keep();
    match std::fs::rename(&staged, &dir) {
        Ok(()) => Ok(dir),
        // Another process won the race: its tree is the same.
        Err(_) if dir.join("system.nix").exists() => {
            let _ = std::fs::remove_dir_all(&staged);
            Ok(dir)
        }
        Err(e) => Err(e),
    }
}

/// Where the library is written by default.
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("cairn");
    }
    if let Some(home) = std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(home).join(".cache/cairn");
    }
    std::env::temp_dir().join("cairn")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // test code: a panic is the failure report
mod tests {
    use super::*;

    fn source_files(dir: &Path, rel: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let rel = rel.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                source_files(&entry.path(), &rel, out);
            } else {
                out.push(rel.to_string_lossy().into_owned());
            }
        }
    }

    #[test]
    fn every_source_file_is_embedded() {
        let nix = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../nix");
        let mut on_disk = Vec::new();
        source_files(&nix, Path::new(""), &mut on_disk);
        on_disk.sort();
        let embedded: Vec<String> = FILES.iter().map(|(p, _)| (*p).to_owned()).collect();
        assert_eq!(embedded, on_disk, "list the new file in library::FILES");
    }

    #[test]
    fn materialised_once_and_identical() {
        let parent = tempfile::tempdir().unwrap();
        let dir = materialise(parent.path()).unwrap();
        for (path, text) in FILES {
            assert_eq!(std::fs::read_to_string(dir.join(path)).unwrap(), *text);
        }
        assert_eq!(materialise(parent.path()).unwrap(), dir);
        assert_eq!(std::fs::read_dir(parent.path()).unwrap().count(), 1);
    }
}
