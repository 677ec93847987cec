//! `builtin:buildenv`: the symlink tree of a user environment, with Nix
//! 2.8's semantics.
//!
//! The derivation names its packages in `derivations`, a whitespace
//! separated list of groups `ACTIVE PRIORITY N PATH₁ … PATHₙ`, and a
//! `manifest` that `manifest.nix` in the output links to. Packages are
//! linked in (priority, path) order: a file two packages provide goes to
//! the lower priority number, equal priorities are an error, and a
//! directory linked whole is split into a real directory as soon as a
//! second package adds to it. Packages named in a linked package's
//! `nix-support/propagated-user-env-packages` follow, with priorities
//! from 1000 up.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{ErrorKind, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::{BuiltinContext, BuiltinError, StoreView};

/// Files never linked into an environment: useless there, or a cause of
/// pointless collisions.
const SKIPPED_SUFFIXES: &[&[u8]] = &[
    b"/propagated-build-inputs",
    b"/nix-support",
    b"/perllocal.pod",
    b"/info/dir",
    b"/log",
    b"/manifest.nix",
    b"/manifest.json",
];

/// One package output to link.
struct Package {
    path: PathBuf,
    active: bool,
    priority: i64,
}

/// The state of one environment being built: logical paths throughout.
struct Env<'v> {
    view: &'v StoreView,
    /// The priority each created link was made with.
    priorities: BTreeMap<PathBuf, i64>,
    symlinks: u64,
    done: BTreeSet<PathBuf>,
    postponed: BTreeSet<PathBuf>,
}

pub(super) fn build(cx: &mut BuiltinContext<'_>) -> Result<(), BuiltinError> {
    let out = PathBuf::from(cx.attr_str("out")?);
    let packages = parse_derivations(cx.attr_str("derivations")?)?;
    let manifest = PathBuf::from(std::ffi::OsStr::from_bytes(cx.attr("manifest")?));
    let host_out = cx.view.host(&out)?;
    std::fs::create_dir_all(&host_out).map_err(BuiltinError::io("creating", &host_out))?;

    let mut env = Env {
        view: &cx.view,
        priorities: BTreeMap::new(),
        symlinks: 0,
        done: BTreeSet::new(),
        postponed: BTreeSet::new(),
    };
    for package in packages.iter().filter(|p| p.active) {
        env.add_package(&package.path, &out, package.priority, cx.log)?;
    }
    // Propagated packages come last, so they lose every collision.
    let mut priority = 1000;
    while !env.postponed.is_empty() {
        for dir in std::mem::take(&mut env.postponed) {
            env.add_package(&dir, &out, priority, cx.log)?;
            priority += 1;
        }
    }
    let _ = writeln!(
        cx.log,
        "created {} symlinks in user environment",
        env.symlinks
    );
    let link = host_out.join("manifest.nix");
    std::os::unix::fs::symlink(&manifest, &link).map_err(BuiltinError::io("linking", link))?;
    Ok(())
}

/// Reads `derivations`, sorted as Nix links them.
fn parse_derivations(text: &str) -> Result<Vec<Package>, BuiltinError> {
    let bad = |reason: String| BuiltinError::BadAttribute {
        name: "derivations".to_owned(),
        reason,
    };
    let number = |token: Option<&str>| -> Result<i64, BuiltinError> {
        let token = token.ok_or_else(|| bad("it ends inside a package".to_owned()))?;
        token
            .parse()
            .map_err(|_| bad(format!("'{token}' is not a number")))
    };
    let mut tokens = text.split_ascii_whitespace();
    let mut packages = Vec::new();
    while let Some(active) = tokens.next() {
        let priority = number(tokens.next())?;
        let count = number(tokens.next())?;
        for _ in 0..count {
            let path = tokens
                .next()
                .ok_or_else(|| bad("it names fewer outputs than it says".to_owned()))?;
            packages.push(Package {
                path: PathBuf::from(path),
                active: active != "false",
                priority,
            });
        }
    }
    packages.sort_by(|a, b| {
        (a.priority, a.path.as_os_str().as_bytes())
            .cmp(&(b.priority, b.path.as_os_str().as_bytes()))
    });
    Ok(packages)
}

impl Env<'_> {
    fn add_package(
        &mut self,
        dir: &Path,
        out: &Path,
        priority: i64,
        log: &mut dyn Write,
    ) -> Result<(), BuiltinError> {
        if !self.done.insert(dir.to_path_buf()) {
            return Ok(());
        }
        self.link_dir(dir, out, priority, log)?;
        let propagated = self
            .view
            .host_resolved(&dir.join("nix-support/propagated-user-env-packages"))
            .ok()
            .and_then(|file| std::fs::read(file).ok());
        if let Some(text) = propagated {
            for name in text
                .split(|b| *b == b' ' || *b == b'\n')
                .filter(|t| !t.is_empty())
            {
                let path = PathBuf::from(std::ffi::OsStr::from_bytes(name));
                if !self.done.contains(&path) {
                    self.postponed.insert(path);
                }
            }
        }
        Ok(())
    }

    /// Links the entries of `src` (a directory, logical) into `dst`.
    fn link_dir(
        &mut self,
        src: &Path,
        dst: &Path,
        priority: i64,
        log: &mut dyn Write,
    ) -> Result<(), BuiltinError> {
        let host_src = self.view.host_resolved(src)?;
        let entries = match std::fs::read_dir(&host_src) {
            Ok(entries) => entries,
            Err(e) if e.kind() == ErrorKind::NotADirectory => {
                let _ = writeln!(
                    log,
                    "warning: not including '{}' in the user environment because it's not a directory",
                    src.display()
                );
                return Ok(());
            }
            Err(e) => return Err(BuiltinError::io("reading", host_src)(e)),
        };
        let mut names = Vec::new();
        for entry in entries {
            names.push(
                entry
                    .map_err(BuiltinError::io("reading", &host_src))?
                    .file_name(),
            );
        }
        // Directory order is arbitrary; sorting makes logs reproducible.
        names.sort();
        for name in names {
            if name.as_bytes().starts_with(b".") {
                continue;
            }
            let src_file = src.join(&name);
            let dst_file = dst.join(&name);
            // A path outside the build's inputs does not exist in the
            // sandbox a builder would see: it dangles.
            let src_host = match self.view.host_resolved(&src_file) {
                Ok(host) => host,
                Err(BuiltinError::NotAnInput(_)) => PathBuf::new(),
                Err(e) => return Err(e),
            };
            let src_meta = match std::fs::metadata(&src_host) {
                Ok(meta) => meta,
                Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {
                    let _ = writeln!(
                        log,
                        "warning: skipping dangling symlink '{}'",
                        dst_file.display()
                    );
                    continue;
                }
                Err(e) => return Err(BuiltinError::io("reading", src_file)(e)),
            };
            let src_bytes = src_file.as_os_str().as_bytes();
            if SKIPPED_SUFFIXES.iter().any(|s| src_bytes.ends_with(s)) {
                continue;
            }
            let host_dst = self.view.host(&dst_file)?;
            let dst_meta = std::fs::symlink_metadata(&host_dst).ok();
            if src_meta.is_dir() {
                match &dst_meta {
                    Some(m) if m.is_dir() => {
                        self.link_dir(&src_file, &dst_file, priority, log)?;
                        continue;
                    }
                    Some(m) if m.file_type().is_symlink() => {
                        // A directory linked whole by an earlier package:
                        // make it real and link both packages' entries.
                        let target = self.view.canonical(&dst_file)?;
                        let target_is_dir = self
                            .view
                            .host(&target)
                            .ok()
                            .and_then(|h| std::fs::symlink_metadata(h).ok())
                            .is_some_and(|m| m.is_dir());
                        if !target_is_dir {
                            return Err(BuiltinError::Collision(format!(
                                "'{}' and non-directory '{}'",
                                src_file.display(),
                                target.display()
                            )));
                        }
                        std::fs::remove_file(&host_dst)
                            .map_err(BuiltinError::io("unlinking", &host_dst))?;
                        make_dir(&host_dst)?;
                        let previous = self.priorities.get(&dst_file).copied().unwrap_or(0);
                        self.link_dir(&target, &dst_file, previous, log)?;
                        self.link_dir(&src_file, &dst_file, priority, log)?;
                        continue;
                    }
                    _ => {}
                }
            } else if let Some(m) = &dst_meta {
                if m.file_type().is_symlink() {
                    let previous = self.priorities.get(&dst_file).copied().unwrap_or(0);
                    if previous == priority {
                        let existing = std::fs::read_link(&host_dst)
                            .map_err(BuiltinError::io("reading", &host_dst))?;
                        return Err(BuiltinError::Conflict {
                            first: src_file.display().to_string(),
                            second: existing.display().to_string(),
                            priority,
                        });
                    }
                    if previous < priority {
                        continue;
                    }
                    std::fs::remove_file(&host_dst)
                        .map_err(BuiltinError::io("unlinking", &host_dst))?;
                } else if m.is_dir() {
                    return Err(BuiltinError::Collision(format!(
                        "non-directory '{}' and directory '{}'",
                        src_file.display(),
                        dst_file.display()
                    )));
                }
            }
            std::os::unix::fs::symlink(&src_file, &host_dst)
                .map_err(BuiltinError::io("linking", &host_dst))?;
            self.priorities.insert(dst_file, priority);
            self.symlinks += 1;
        }
        Ok(())
    }
}

fn make_dir(path: &Path) -> Result<(), BuiltinError> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .mode(0o755)
        .create(path)
        .map_err(BuiltinError::io("creating", path))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // test code: a panic is the failure report
mod tests {
    use super::*;

    #[test]
    fn derivations_are_sorted_by_priority_then_path() {
        let packages = parse_derivations(
            "1 5 1 /nix/store/b\ntrue 3 2 /nix/store/z /nix/store/y false 5 1 /nix/store/a",
        )
        .unwrap();
        let order: Vec<(&str, bool, i64)> = packages
            .iter()
            .map(|p| (p.path.to_str().unwrap(), p.active, p.priority))
            .collect();
        assert_eq!(
            order,
            [
                ("/nix/store/y", true, 3),
                ("/nix/store/z", true, 3),
                ("/nix/store/a", false, 5),
                ("/nix/store/b", true, 5)
            ]
        );
    }

    #[test]
    fn malformed_derivations_are_rejected() {
        assert!(parse_derivations("1 x 1 /a").is_err());
        assert!(parse_derivations("1 5 2 /a").is_err());
        assert!(parse_derivations("1 5").is_err());
        assert!(parse_derivations("").unwrap().is_empty());
    }
}
