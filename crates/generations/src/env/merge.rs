//! Merging packages' trees into one tree of symlinks, with the semantics
//! of Nix's `builtin:buildenv` (what `nix-env` builds a user environment
//! with):
//!
//! - packages are added by increasing priority number (lower wins), ties
//!   by store path; then, with priorities 1000, 1001, …, the packages they
//!   list in `nix-support/propagated-user-env-packages`, transitively;
//! - a directory only one package provides becomes a symlink to that
//!   package's directory; when a second package provides it too, the
//!   symlink is replaced by a real directory holding links to both
//!   packages' entries, recursively;
//! - a file two packages provide goes to the lower priority number; equal
//!   priorities are a collision, reported with both paths;
//! - names starting with `.`, and `propagated-build-inputs`,
//!   `nix-support`, `perllocal.pod`, `info/dir`, `log`, `manifest.nix`,
//!   `manifest.json` are left out.
//!
//! The links point at logical store paths (`/nix/store/…`) while the trees
//! are read at their real location, so this works in a chroot store.

use std::collections::{BTreeSet, HashMap};
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use cairn_store::{StoreDir, StorePath};

/// One store path to merge, with its priority (lower wins).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    /// The package's store path.
    pub path: StorePath,
    /// Its priority (`meta.priority`, 5 when unset).
    pub priority: i64,
}

/// Why packages could not be merged.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MergeError {
    /// Two packages of the same priority provide the same file.
    #[error(
        "packages '{}' and '{}' have the same priority {priority}; give one of them \
         another priority (lower numbers win)",
        first.display(), second.display()
    )]
    Collision {
        /// The file being added.
        first: PathBuf,
        /// The file already there.
        second: PathBuf,
        /// Their priority.
        priority: i64,
    },
    /// A package provides a directory where another provides a file.
    #[error("collision between '{}' and non-directory '{}'", directory.display(), file.display())]
    DirectoryOverFile {
        /// The directory.
        directory: PathBuf,
        /// The file.
        file: PathBuf,
    },
    /// A package provides a file where another provides a directory.
    #[error("collision between non-directory '{}' and directory '{}'", file.display(), directory.display())]
    FileOverDirectory {
        /// The file.
        file: PathBuf,
        /// The directory.
        directory: PathBuf,
    },
    /// A filesystem operation failed.
    #[error("{action} '{}': {source}", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// To which file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> MergeError {
    let path = path.to_path_buf();
    move |source| MergeError::Io {
        action,
        path,
        source,
    }
}

/// What [`merge`] made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Merged {
    /// Every store path the tree links into (the packages and what they
    /// propagated): the tree's references.
    pub packages: BTreeSet<StorePath>,
    /// How many symlinks were made.
    pub symlinks: u64,
    /// Packages and files skipped, with why (as Nix's warnings).
    pub warnings: Vec<String>,
}

/// Merges `packages` into the existing empty directory `out`. `real_path`
/// says where a store path's files are on this machine.
pub fn merge(
    store_dir: &StoreDir,
    real_path: &dyn Fn(&StorePath) -> PathBuf,
    packages: &[Package],
    out: &Path,
) -> Result<Merged, MergeError> {
    let mut state = State {
        store_dir,
        real_path,
        out: out.to_path_buf(),
        priorities: HashMap::new(),
        done: BTreeSet::new(),
        postponed: BTreeSet::new(),
        merged: Merged::default(),
    };
    let mut sorted: Vec<&Package> = packages.iter().collect();
    sorted.sort_by(|a, b| (a.priority, &a.path).cmp(&(b.priority, &b.path)));
    for package in sorted {
        state.add_package(&package.path, package.priority)?;
    }
    let mut priority = 1000;
    while !state.postponed.is_empty() {
        for path in std::mem::take(&mut state.postponed) {
            state.add_package(&path, priority)?;
            priority += 1;
        }
    }
    Ok(state.merged)
}

struct State<'a> {
    store_dir: &'a StoreDir,
    real_path: &'a dyn Fn(&StorePath) -> PathBuf,
    out: PathBuf,
    /// The priority of the package each link in `out` came from.
    priorities: HashMap<PathBuf, i64>,
    done: BTreeSet<StorePath>,
    postponed: BTreeSet<StorePath>,
    merged: Merged,
}

impl State<'_> {
    fn add_package(&mut self, path: &StorePath, priority: i64) -> Result<(), MergeError> {
        if !self.done.insert(path.clone()) {
            return Ok(());
        }
        self.merged.packages.insert(path.clone());
        let logical = PathBuf::from(self.store_dir.display_path(path));
        let real = self.follow((self.real_path)(path));
        let out = self.out.clone();
        self.link_entries(&logical, &real, &out, priority)?;
        let propagated = (self.real_path)(path).join("nix-support/propagated-user-env-packages");
        if let Ok(text) = std::fs::read_to_string(&propagated) {
            for word in text.split([' ', '\n']).filter(|w| !w.is_empty()) {
                match self.store_dir.store_path_of(word) {
                    Ok(other) if !self.done.contains(&other) => {
                        self.postponed.insert(other);
                    }
                    Ok(_) => {}
                    Err(_) => self.merged.warnings.push(format!(
                        "ignoring '{word}' in '{}': not a store path",
                        propagated.display()
                    )),
                }
            }
        }
        Ok(())
    }

    /// Nix's `createLinks`: links the entries of the directory `src`
    /// (logical, as links name it; found at `real_src`) into `dst`.
    fn link_entries(
        &mut self,
        src: &Path,
        real_src: &Path,
        dst: &Path,
        priority: i64,
    ) -> Result<(), MergeError> {
        let entries = match std::fs::read_dir(real_src) {
            Ok(entries) => entries,
            Err(e) if e.raw_os_error() == Some(libc::ENOTDIR) => {
                self.merged.warnings.push(format!(
                    "not including '{}' in the user environment because it's not a directory",
                    src.display()
                ));
                return Ok(());
            }
            Err(e) => return Err(io("reading directory", real_src)(e)),
        };
        let mut names: Vec<OsString> = Vec::new();
        for entry in entries {
            names.push(
                entry
                    .map_err(io("reading directory", real_src))?
                    .file_name(),
            );
        }
        names.sort();
        for name in names {
            if name.as_bytes().first() == Some(&b'.') {
                continue;
            }
            let src_file = src.join(&name);
            let dst_file = dst.join(&name);
            let real_file = self.follow(real_src.join(&name));
            let Ok(src_meta) = std::fs::metadata(&real_file) else {
                self.merged.warnings.push(format!(
                    "skipping dangling symlink '{}'",
                    dst_file.display()
                ));
                continue;
            };
            if is_left_out(&src_file) {
                continue;
            }
            let dst_meta = match std::fs::symlink_metadata(&dst_file) {
                Ok(meta) => Some(meta),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => return Err(io("inspecting", &dst_file)(e)),
            };
            if src_meta.is_dir() {
                match &dst_meta {
                    Some(meta) if meta.is_dir() => {
                        self.link_entries(&src_file, &real_file, &dst_file, priority)?;
                        continue;
                    }
                    Some(meta) if meta.file_type().is_symlink() => {
                        // A directory one package had alone: make it a real
                        // directory holding both packages' entries.
                        let previous = std::fs::read_link(&dst_file)
                            .map_err(io("reading symbolic link", &dst_file))?;
                        let target = self.resolve(&previous);
                        let real_target = self.follow(self.real(&target));
                        if !std::fs::metadata(&real_target).is_ok_and(|m| m.is_dir()) {
                            return Err(MergeError::DirectoryOverFile {
                                directory: src_file,
                                file: target,
                            });
                        }
                        std::fs::remove_file(&dst_file).map_err(io("unlinking", &dst_file))?;
                        std::fs::create_dir(&dst_file)
                            .map_err(io("creating directory", &dst_file))?;
                        let previous_priority = self.priority_of(&dst_file);
                        self.link_entries(&target, &real_target, &dst_file, previous_priority)?;
                        self.link_entries(&src_file, &real_file, &dst_file, priority)?;
                        continue;
                    }
                    _ => {}
                }
            } else if let Some(meta) = &dst_meta {
                if meta.file_type().is_symlink() {
                    let previous = self.priority_of(&dst_file);
                    if previous == priority {
                        let second = std::fs::read_link(&dst_file)
                            .map_err(io("reading symbolic link", &dst_file))?;
                        return Err(MergeError::Collision {
                            first: src_file,
                            second,
                            priority,
                        });
                    }
                    if previous < priority {
                        continue;
                    }
                    std::fs::remove_file(&dst_file).map_err(io("unlinking", &dst_file))?;
                } else if meta.is_dir() {
                    return Err(MergeError::FileOverDirectory {
                        file: src_file,
                        directory: dst_file,
                    });
                }
            }
            std::os::unix::fs::symlink(&src_file, &dst_file)
                .map_err(io("creating symlink", &dst_file))?;
            self.priorities.insert(dst_file, priority);
            self.merged.symlinks += 1;
        }
        Ok(())
    }

    fn priority_of(&self, dst_file: &Path) -> i64 {
        // Nix's map defaults a missing entry to 0.
        self.priorities.get(dst_file).copied().unwrap_or(0)
    }

    /// Where the logical `path` is on this machine: inside the store, under
    /// the store's real directory; elsewhere, where it says.
    fn real(&self, path: &Path) -> PathBuf {
        let prefix = Path::new(self.store_dir.as_str());
        let Ok(rest) = path.strip_prefix(prefix) else {
            return path.to_path_buf();
        };
        let mut components = rest.components();
        let Some(Component::Normal(first)) = components.next() else {
            return path.to_path_buf();
        };
        let Ok(store_path) = self
            .store_dir
            .store_path_of(&prefix.join(first).to_string_lossy())
        else {
            return path.to_path_buf();
        };
        (self.real_path)(&store_path).join(components.as_path())
    }

    /// Follows `path` while it is a symlink, in logical terms (Nix's
    /// `canonPath(p, true)` for the last component).
    fn resolve(&self, path: &Path) -> PathBuf {
        let mut current = path.to_path_buf();
        for _ in 0..40 {
            match std::fs::read_link(self.real(&current)) {
                Ok(target) => {
                    current = match current.parent() {
                        Some(parent) => normalise(&parent.join(target)),
                        None => target,
                    };
                }
                Err(_) => break,
            }
        }
        current
    }

    /// Follows the real path `path` while it is a symlink, reading an
    /// absolute target inside the store at its real location (in a chroot
    /// store, `/nix/store/…` on the host is another store).
    fn follow(&self, path: PathBuf) -> PathBuf {
        let mut current = path;
        for _ in 0..40 {
            match std::fs::read_link(&current) {
                Ok(target) if target.is_absolute() => current = self.real(&normalise(&target)),
                Ok(target) => {
                    current = match current.parent() {
                        Some(parent) => normalise(&parent.join(target)),
                        None => target,
                    };
                }
                Err(_) => break,
            }
        }
        current
    }
}

/// `.` and `..` removed lexically (symlink targets are relative to the
/// link's directory, which is itself resolved).
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// The files Nix keeps out of user environments: useless there, or sure to
/// collide between packages.
fn is_left_out(src_file: &Path) -> bool {
    let bytes = src_file.as_os_str().as_bytes();
    [
        &b"/propagated-build-inputs"[..],
        b"/nix-support",
        b"/perllocal.pod",
        b"/info/dir",
        b"/log",
        b"/manifest.nix",
        b"/manifest.json",
    ]
    .iter()
    .any(|suffix| bytes.ends_with(suffix))
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "/nix/store/y9xsr1hg3kf7xbva2dgqpagj6x6555a3-a";
    const B: &str = "/nix/store/ksndzbhi1maykqax5lj5q2wzn5in9gk8-b";

    /// Merges packages A and B, both providing `bin/tool`, with the given
    /// priorities; returns where the merged `bin/tool` points.
    fn merge_two(priority_a: i64, priority_b: i64) -> Result<PathBuf, MergeError> {
        let dir = tempfile::tempdir().unwrap();
        let store_dir = StoreDir::default();
        let real = |path: &StorePath| dir.path().join(path.to_string());
        let mut packages = Vec::new();
        for (text, priority) in [(A, priority_a), (B, priority_b)] {
            let path = store_dir.parse_path(text).unwrap();
            std::fs::create_dir_all(real(&path).join("bin")).unwrap();
            std::fs::write(real(&path).join("bin/tool"), text).unwrap();
            packages.push(Package { path, priority });
        }
        let out = dir.path().join("out");
        std::fs::create_dir(&out).unwrap();
        merge(&store_dir, &real, &packages, &out)?;
        Ok(std::fs::read_link(out.join("bin/tool")).unwrap())
    }

    #[test]
    fn the_lower_priority_number_wins_a_file_and_equal_ones_collide() {
        assert_eq!(merge_two(3, 5).unwrap(), Path::new(A).join("bin/tool"));
        assert_eq!(merge_two(5, 3).unwrap(), Path::new(B).join("bin/tool"));
        assert!(matches!(
            merge_two(5, 5),
            Err(MergeError::Collision { priority: 5, .. })
        ));
    }
}
