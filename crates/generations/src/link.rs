//! Atomic symlink creation and replacement, as Nix does it.

use std::ffi::OsString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::Error;

/// Points `link` at `target` atomically, as Nix's `replaceSymlink`: creates
/// `.<n>_<name>` beside `link` (the first free `n` from 0) and renames it
/// over `link`. Readers see either the old target or the new one.
pub fn replace_symlink(target: &Path, link: &Path) -> Result<(), Error> {
    let (dir, name) = split(link)?;
    for n in 0u64.. {
        let mut tmp_name = OsString::from(format!(".{n}_"));
        tmp_name.push(name);
        let tmp = dir.join(tmp_name);
        match std::os::unix::fs::symlink(target, &tmp) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Error::io("creating symlink", tmp)(e)),
        }
        return rename(&tmp, link);
    }
    unreachable!("u64 range exhausted")
}

/// Creates (or replaces) the symlink `link` → `target` through a uniquely
/// named temporary `<link>.tmp-<pid>-<random>`, as Nix's `makeSymlink` for
/// GC roots. Creates `link`'s directory if needed.
pub fn make_symlink(target: &Path, link: &Path) -> Result<(), Error> {
    let (dir, _) = split(link)?;
    std::fs::create_dir_all(dir).map_err(Error::io("creating directory", dir))?;
    loop {
        let mut tmp = OsString::from(link.as_os_str());
        tmp.push(format!(".tmp-{}-{}", std::process::id(), unique()));
        let tmp = PathBuf::from(tmp);
        match std::os::unix::fs::symlink(target, &tmp) {
            Ok(()) => return rename(&tmp, link),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Error::io("creating symlink", tmp)(e)),
        }
    }
}

fn rename(tmp: &Path, link: &Path) -> Result<(), Error> {
    std::fs::rename(tmp, link).map_err(|e| {
        let _ = std::fs::remove_file(tmp);
        Error::io("renaming temporary symlink to", link)(e)
    })
}

fn split(link: &Path) -> Result<(&Path, &std::ffi::OsStr), Error> {
    match (link.parent(), link.file_name()) {
        (Some(dir), Some(name)) if !name.as_bytes().is_empty() => {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            Ok((dir, name))
        }
        _ => Err(Error::BadProfilePath {
            path: link.to_path_buf(),
        }),
    }
}

/// A number that differs between calls in this process and, very likely,
/// between processes (Nix uses `random()`; we need no more than that).
fn unique() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    (u64::from(nanos) << 20) ^ COUNTER.fetch_add(1, Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_symlink_replaces_and_leaves_no_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("prof");
        replace_symlink(Path::new("prof-1-link"), &link).unwrap();
        replace_symlink(Path::new("prof-2-link"), &link).unwrap();
        assert_eq!(std::fs::read_link(&link).unwrap(), Path::new("prof-2-link"));
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["prof"]);
    }

    #[test]
    fn replace_symlink_skips_a_busy_temporary_name() {
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink("x", dir.path().join(".0_prof")).unwrap();
        let link = dir.path().join("prof");
        replace_symlink(Path::new("prof-1-link"), &link).unwrap();
        assert_eq!(std::fs::read_link(&link).unwrap(), Path::new("prof-1-link"));
        assert_eq!(
            std::fs::read_link(dir.path().join(".0_prof")).unwrap(),
            Path::new("x")
        );
    }

    #[test]
    fn make_symlink_creates_directories() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("a/b/prof-1-link");
        make_symlink(Path::new("/nix/store/x"), &link).unwrap();
        make_symlink(Path::new("/nix/store/y"), &link).unwrap();
        assert_eq!(
            std::fs::read_link(&link).unwrap(),
            Path::new("/nix/store/y")
        );
        assert_eq!(
            std::fs::read_dir(dir.path().join("a/b")).unwrap().count(),
            1
        );
    }
}
