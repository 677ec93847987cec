//! Paths inside the target machine's root directory.
//!
//! Activation may write into a directory that is not `/` (an installer or
//! image builder's `--root`). Symlinks in the machine point to absolute
//! paths that mean something only inside it (`/nix/store/…`, `/etc/static/…`),
//! so reading through them must re-anchor each absolute target at the root,
//! as `chroot` would.

use std::io;
use std::path::{Component, Path, PathBuf};

/// How many symlinks [`MachineRoot::resolve`] follows before giving up.
const MAX_LINKS: usize = 40;

/// The root directory of the machine being activated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MachineRoot {
    dir: PathBuf,
}

impl MachineRoot {
    /// The machine whose `/` is `dir` (`/` itself for the running system).
    pub fn new(dir: impl Into<PathBuf>) -> MachineRoot {
        MachineRoot { dir: dir.into() }
    }

    /// The root directory on the host.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// True when this is the running system's own root.
    pub fn is_host_root(&self) -> bool {
        self.dir == Path::new("/")
    }

    /// Where the machine's absolute path `path` lives on the host, without
    /// following any symlink.
    pub fn host_path(&self, path: &Path) -> PathBuf {
        let relative: PathBuf = path
            .components()
            .filter(|c| matches!(c, Component::Normal(_)))
            .collect();
        self.dir.join(relative)
    }

    /// Where the machine's path `path` leads once every symlink on the way
    /// is followed inside the machine. A missing final component is fine
    /// (the result names where it would be).
    pub fn resolve(&self, path: &Path) -> io::Result<PathBuf> {
        let mut pending: Vec<std::ffi::OsString> = Vec::new();
        push_components(&mut pending, path);
        pending.reverse();
        let mut resolved = PathBuf::from("/");
        let mut links = 0;
        while let Some(part) = pending.pop() {
            if part == ".." {
                resolved.pop();
                continue;
            }
            let candidate = resolved.join(&part);
            match std::fs::symlink_metadata(self.host_path(&candidate)) {
                Ok(meta) if meta.file_type().is_symlink() => {
                    links += 1;
                    if links > MAX_LINKS {
                        return Err(io::Error::other(format!(
                            "too many levels of symbolic links at {}",
                            candidate.display()
                        )));
                    }
                    let target = std::fs::read_link(self.host_path(&candidate))?;
                    if target.is_absolute() {
                        resolved = PathBuf::from("/");
                    }
                    let mut more = Vec::new();
                    push_components(&mut more, &target);
                    pending.extend(more.into_iter().rev());
                }
                Ok(_) => resolved = candidate,
                Err(e) if e.kind() == io::ErrorKind::NotFound && pending.is_empty() => {
                    resolved = candidate;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(self.host_path(&resolved))
    }
}

fn push_components(out: &mut Vec<std::ffi::OsString>, path: &Path) {
    for c in path.components() {
        match c {
            Component::Normal(n) => out.push(n.to_owned()),
            Component::ParentDir => out.push("..".into()),
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
}

/// Points `link` at `target` atomically: a temporary link renamed over it,
/// so readers see the old target or the new one, never nothing.
pub fn atomic_symlink(target: &Path, link: &Path) -> io::Result<()> {
    let name = link.file_name().unwrap_or_default().to_string_lossy();
    let tmp = link.with_file_name(format!(".{name}.cairn-tmp-{}", std::process::id()));
    match std::fs::remove_file(&tmp) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    std::os::unix::fs::symlink(target, &tmp)?;
    std::fs::rename(&tmp, link)
}

/// Writes `contents` to `path` atomically (a temporary file renamed over
/// it) with permission bits `mode`.
pub fn atomic_write(path: &Path, contents: &[u8], mode: u32) -> io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = path.with_file_name(format!(".{name}.cairn-tmp-{}", std::process::id()));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(&tmp)?;
    f.write_all(contents)?;
    f.sync_all()?;
    // The umask may have narrowed the mode given to open.
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(mode))?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn absolute_links_stay_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = MachineRoot::new(dir.path());
        std::fs::create_dir_all(dir.path().join("nix/store/abc-etc/etc")).unwrap();
        std::fs::write(dir.path().join("nix/store/abc-etc/etc/motd"), "hi").unwrap();
        std::fs::create_dir_all(dir.path().join("etc")).unwrap();
        symlink("/nix/store/abc-etc/etc", dir.path().join("etc/static")).unwrap();
        symlink("/etc/static/motd", dir.path().join("etc/motd")).unwrap();
        let got = root.resolve(Path::new("/etc/motd")).unwrap();
        assert_eq!(got, dir.path().join("nix/store/abc-etc/etc/motd"));
        assert_eq!(std::fs::read_to_string(got).unwrap(), "hi");
    }

    #[test]
    fn relative_links_and_missing_leaves() {
        let dir = tempfile::tempdir().unwrap();
        let root = MachineRoot::new(dir.path());
        std::fs::create_dir_all(dir.path().join("a/b")).unwrap();
        symlink("../a/b", dir.path().join("a/up")).unwrap();
        assert_eq!(
            root.resolve(Path::new("/a/up/new")).unwrap(),
            dir.path().join("a/b/new")
        );
    }

    #[test]
    fn link_loops_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let root = MachineRoot::new(dir.path());
        symlink("/loop", dir.path().join("loop")).unwrap();
        assert!(root.resolve(Path::new("/loop")).is_err());
    }
}
