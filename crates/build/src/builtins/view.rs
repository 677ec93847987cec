//! Store paths as a builtin sees them.
//!
//! A builder in the sandbox sees `/nix/store/…` whatever the store's real
//! location; a builtin runs outside it, so every logical path it reads or
//! writes goes through [`StoreView`], which maps a store path's base name
//! to its host location (an input's host path, or an output's place in the
//! outputs directory). Symlinks inside the store name logical paths too, so
//! following them is done here, component by component, as a chroot would.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use cairn_derivation::OutputName;
use cairn_store::path::{StoreDir, StorePath};

use super::BuiltinError;
use crate::spec::BindPath;

/// How many symlinks [`StoreView::canonical`] follows before giving up.
const MAX_LINKS: usize = 40;

/// The logical store as the host holds it, for one build.
#[derive(Debug, Clone)]
pub struct StoreView {
    store_dir: PathBuf,
    hosts: BTreeMap<OsString, PathBuf>,
}

impl StoreView {
    /// The inputs (logical path → host path) and the outputs (written under
    /// `outputs_dir` at their base names) of one build.
    pub fn new(
        store_dir: &StoreDir,
        inputs: &[BindPath],
        outputs: &[(OutputName, StorePath)],
        outputs_dir: &Path,
    ) -> StoreView {
        let store_dir = PathBuf::from(store_dir.as_str());
        let mut hosts = BTreeMap::new();
        for input in inputs {
            if input.inside.parent() == Some(store_dir.as_path())
                && let Some(name) = input.inside.file_name()
            {
                hosts.insert(name.to_owned(), input.host.clone());
            }
        }
        for (_, path) in outputs {
            let name = OsString::from(path.to_string());
            hosts.insert(name.clone(), outputs_dir.join(name));
        }
        StoreView { store_dir, hosts }
    }

    /// Where the logical path `path` is on the host, without following
    /// symlinks inside the store path.
    pub fn host(&self, path: &Path) -> Result<PathBuf, BuiltinError> {
        let not_input = || BuiltinError::NotAnInput(path.display().to_string());
        let rest = path
            .strip_prefix(&self.store_dir)
            .map_err(|_| not_input())?;
        let mut components = rest.components();
        let Some(Component::Normal(name)) = components.next() else {
            return Err(not_input());
        };
        let host = self.hosts.get(name).ok_or_else(not_input)?;
        let inner = components.as_path();
        Ok(if inner.as_os_str().is_empty() {
            host.clone()
        } else {
            host.join(inner)
        })
    }

    /// `path` with every symlink in it resolved (logically), like Nix's
    /// `canonPath(path, true)`. Missing components are kept as they are.
    pub fn canonical(&self, path: &Path) -> Result<PathBuf, BuiltinError> {
        let mut todo: Vec<OsString> = components(path);
        todo.reverse();
        let mut current = PathBuf::from("/");
        let mut links = 0;
        while let Some(part) = todo.pop() {
            if part == ".." {
                current.pop();
                continue;
            }
            let next = current.join(&part);
            let host = self.host(&next).ok();
            let target = host.and_then(|h| std::fs::read_link(h).ok());
            match target {
                Some(target) => {
                    links += 1;
                    if links > MAX_LINKS {
                        return Err(BuiltinError::SymlinkLoop(path.display().to_string()));
                    }
                    if target.is_absolute() {
                        current = PathBuf::from("/");
                    }
                    let mut parts = components(&target);
                    parts.reverse();
                    todo.extend(parts);
                }
                None => current = next,
            }
        }
        Ok(current)
    }

    /// The host path of `path` after resolving its symlinks.
    pub fn host_resolved(&self, path: &Path) -> Result<PathBuf, BuiltinError> {
        self.host(&self.canonical(path)?)
    }
}

/// The normal and `..` components of `path`, as owned names.
fn components(path: &Path) -> Vec<OsString> {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n.to_owned()),
            Component::ParentDir => Some(OsStr::from_bytes(b"..").to_owned()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // test code: a panic is the failure report
mod tests {
    use super::*;

    fn view(root: &Path) -> StoreView {
        let store_dir = StoreDir::default();
        let inputs = vec![
            BindPath::new(
                "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-a",
                root.join("a"),
            ),
            BindPath::new(
                "/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-b",
                root.join("b"),
            ),
        ];
        StoreView::new(&store_dir, &inputs, &[], root)
    }

    #[test]
    fn maps_inputs_and_refuses_others() {
        let dir = tempfile::tempdir().unwrap();
        let v = view(dir.path());
        assert_eq!(
            v.host(Path::new(
                "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-a/bin/x"
            ))
            .unwrap(),
            dir.path().join("a/bin/x")
        );
        assert!(
            v.host(Path::new("/nix/store/cccccccccccccccccccccccccccccccc-c"))
                .is_err()
        );
        assert!(v.host(Path::new("/etc/passwd")).is_err());
    }

    #[test]
    fn follows_absolute_store_links_inside_the_view() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("b/share")).unwrap();
        std::fs::create_dir_all(dir.path().join("a")).unwrap();
        std::os::unix::fs::symlink(
            "/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-b/share",
            dir.path().join("a/share"),
        )
        .unwrap();
        std::os::unix::fs::symlink("share/../share", dir.path().join("a/rel")).unwrap();
        let v = view(dir.path());
        let want = PathBuf::from("/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-b/share");
        assert_eq!(
            v.canonical(Path::new(
                "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-a/share"
            ))
            .unwrap(),
            want
        );
        assert_eq!(
            v.canonical(Path::new(
                "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-a/rel"
            ))
            .unwrap(),
            want
        );
    }

    #[test]
    fn a_link_loop_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("a")).unwrap();
        std::os::unix::fs::symlink("loop", dir.path().join("a/loop")).unwrap();
        let v = view(dir.path());
        assert!(matches!(
            v.canonical(Path::new(
                "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-a/loop"
            )),
            Err(BuiltinError::SymlinkLoop(_))
        ));
    }
}
