//! Switching /etc to a new etc tree, as NixOS's `setup-etc` does.
//!
//! `/etc/static` is a symlink to the system's etc tree, swapped atomically;
//! each file of the tree appears in /etc as a link into `/etc/static`, so
//! most of /etc changes in that one swap. A file whose `NAME.mode` says so
//! is copied instead (with that mode and the owner in `NAME.uid` and
//! `NAME.gid`), or linked straight to its source (`direct-symlink`).
//! Copies are listed in `/etc/.clean` so the next switch can remove those
//! the new tree no longer has. Links into `/etc/static` that lead nowhere
//! after the swap are removed. Anything else in /etc is not ours and is
//! never touched: a file in the way of a link is left alone, with a warning.

use std::collections::BTreeSet;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::root::{MachineRoot, atomic_symlink, atomic_write};

/// The suffixes of the files that carry an entry's metadata.
const META: [&str; 3] = [".mode", ".uid", ".gid"];

/// Why /etc could not be switched.
#[derive(Debug, thiserror::Error)]
#[error("{action} {}", path.display())]
pub struct EtcError {
    /// What was being done.
    pub action: &'static str,
    /// The machine path involved.
    pub path: PathBuf,
    /// The cause.
    #[source]
    pub source: io::Error,
}

fn err(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> EtcError {
    let path = path.to_path_buf();
    move |source| EtcError {
        action,
        path,
        source,
    }
}

/// What a switch did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct EtcReport {
    /// Files of the tree that now appear in /etc (machine-relative, under
    /// /etc).
    pub installed: Vec<PathBuf>,
    /// Stale links and copies removed.
    pub removed: Vec<PathBuf>,
    /// Files in the way that are not ours, left as they were.
    pub warnings: Vec<String>,
}

/// How owners in `NAME.uid`/`NAME.gid` become ids: `+N` is a number,
/// anything else a name looked up here.
pub trait Owners {
    /// The uid of user `name`.
    fn uid(&self, name: &str) -> Option<u32>;
    /// The gid of group `name`.
    fn gid(&self, name: &str) -> Option<u32>;
}

/// Switches the machine's /etc to the etc tree at `etc_tree` (a machine
/// path such as `/nix/store/…-etc/etc`).
pub fn switch(
    root: &MachineRoot,
    etc_tree: &Path,
    owners: &dyn Owners,
) -> Result<EtcReport, EtcError> {
    let etc = root.host_path(Path::new("/etc"));
    std::fs::create_dir_all(&etc).map_err(err("creating", Path::new("/etc")))?;
    let static_link = etc.join("static");
    atomic_symlink(etc_tree, &static_link).map_err(err("linking", Path::new("/etc/static")))?;
    let tree = root.resolve(etc_tree).map_err(err("reading", etc_tree))?;
    let mut leaves = Vec::new();
    collect_leaves(&tree, Path::new(""), &mut leaves).map_err(err("reading", etc_tree))?;

    let mut report = EtcReport::default();
    let old_clean = read_clean(&etc);
    let mut clean = BTreeSet::new();
    for rel in &leaves {
        let target = etc.join(rel);
        let machine = Path::new("/etc").join(rel);
        let meta = |suffix: &str| -> Option<String> {
            let mut name = tree.join(rel).into_os_string();
            name.push(suffix);
            std::fs::read_to_string(PathBuf::from(name)).ok()
        };
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(err("creating", &machine))?;
        }
        let ours = is_ours(&target, &old_clean, rel);
        if !ours {
            report.warnings.push(format!(
                "{} is not managed by cairn; leaving it alone",
                machine.display()
            ));
            continue;
        }
        match meta(".mode").as_deref() {
            None => {
                atomic_symlink(&Path::new("/etc/static").join(rel), &target)
                    .map_err(err("linking", &machine))?;
            }
            Some("direct-symlink") => {
                let source =
                    std::fs::read_link(tree.join(rel)).map_err(err("reading", &machine))?;
                atomic_symlink(&source, &target).map_err(err("linking", &machine))?;
            }
            Some(mode) => {
                let mode = u32::from_str_radix(mode.trim(), 8).map_err(|_| EtcError {
                    action: "reading the mode of",
                    path: machine.clone(),
                    source: io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("bad mode '{mode}'"),
                    ),
                })?;
                let host_source = root
                    .resolve(&Path::new("/etc/static").join(rel))
                    .map_err(err("reading", &machine))?;
                let contents = std::fs::read(&host_source).map_err(err("reading", &machine))?;
                atomic_write(&target, &contents, mode).map_err(err("writing", &machine))?;
                let uid = meta(".uid").and_then(|u| owner_id(&u, |n| owners.uid(n)));
                let gid = meta(".gid").and_then(|g| owner_id(&g, |n| owners.gid(n)));
                std::os::unix::fs::chown(&target, uid, gid)
                    .map_err(err("changing the owner of", &machine))?;
                clean.insert(rel.clone());
            }
        }
        report.installed.push(machine);
    }

    // Links into the old /etc/static that the new one no longer backs.
    remove_stale_links(root, &etc, &etc, &mut report)
        .map_err(err("cleaning", Path::new("/etc")))?;
    for rel in old_clean.difference(&clean) {
        let path = etc.join(rel);
        if path.is_file() && !leaves.contains(rel) {
            std::fs::remove_file(&path).map_err(err("removing", &Path::new("/etc").join(rel)))?;
            report.removed.push(Path::new("/etc").join(rel));
        }
    }
    let mut text = Vec::new();
    for rel in &clean {
        text.extend_from_slice(rel.as_os_str().as_bytes());
        text.push(b'\n');
    }
    atomic_write(&etc.join(".clean"), &text, 0o644)
        .map_err(err("writing", Path::new("/etc/.clean")))?;
    Ok(report)
}

/// The files (and symlinks) of the tree, relative to it, without the
/// metadata files. Directories are walked; symlinks are not followed.
fn collect_leaves(dir: &Path, rel: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    let mut names: Vec<_> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.file_name()))
        .collect::<Result<_, _>>()?;
    names.sort();
    for name in names {
        let path = dir.join(&name);
        let rel_path = rel.join(&name);
        let meta = std::fs::symlink_metadata(&path)?;
        if meta.is_dir() {
            collect_leaves(&path, &rel_path, out)?;
            continue;
        }
        let bytes = name.as_bytes();
        let is_meta = META.iter().any(|suffix| {
            bytes.strip_suffix(suffix.as_bytes()).is_some_and(|base| {
                dir.join(std::ffi::OsStr::from_bytes(base))
                    .symlink_metadata()
                    .is_ok()
            })
        });
        if !is_meta {
            out.push(rel_path);
        }
    }
    Ok(())
}

/// Whether cairn may replace `target`: absent, a symlink (ours or stale),
/// or a copy it made before.
fn is_ours(target: &Path, old_clean: &BTreeSet<PathBuf>, rel: &Path) -> bool {
    match std::fs::symlink_metadata(target) {
        Err(_) => true,
        Ok(meta) if meta.file_type().is_symlink() => true,
        Ok(_) => old_clean.contains(rel),
    }
}

fn read_clean(etc: &Path) -> BTreeSet<PathBuf> {
    std::fs::read(etc.join(".clean"))
        .map(|text| {
            text.split(|b| *b == b'\n')
                .filter(|l| !l.is_empty())
                .map(|l| PathBuf::from(std::ffi::OsStr::from_bytes(l)))
                .collect()
        })
        .unwrap_or_default()
}

fn owner_id(text: &str, lookup: impl Fn(&str) -> Option<u32>) -> Option<u32> {
    let text = text.trim();
    match text.strip_prefix('+') {
        Some(number) => number.parse().ok(),
        None => lookup(text),
    }
}

fn remove_stale_links(
    root: &MachineRoot,
    etc: &Path,
    dir: &Path,
    report: &mut EtcReport,
) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if path == etc.join("static") {
            continue;
        }
        let meta = std::fs::symlink_metadata(&path)?;
        if meta.is_dir() {
            remove_stale_links(root, etc, &path, report)?;
        } else if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&path)?;
            if target.starts_with("/etc/static/") {
                let backed = root
                    .resolve(&target)
                    .is_ok_and(|host| host.symlink_metadata().is_ok());
                if !backed {
                    std::fs::remove_file(&path)?;
                    let rel = path.strip_prefix(etc).unwrap_or(&path);
                    report.removed.push(Path::new("/etc").join(rel));
                }
            }
        }
    }
    Ok(())
}
