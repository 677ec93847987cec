//! The sandbox's file-system layout as a list of steps.
//!
//! The parent builds the [`Plan`] before creating the namespaces: it does all
//! the allocating, path joining and host `lstat`s here, so that the child
//! only has to replay the steps with one syscall each.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::ffi::{CString, OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use crate::error::SandboxError;
use crate::etc;
use crate::spec::{BindPath, SandboxSpec};

/// The directory the builder starts in, as in Nix.
pub(crate) const BUILD_DIR_INSIDE: &str = "/build";

/// One step the parent takes on the host, in the sandbox's skeleton
/// directory (or in `outputs_dir`), before the namespaces exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HostOp {
    /// Create a directory (tolerating an existing one) and set its mode.
    Mkdir { path: PathBuf, mode: u32 },
    /// Create a file with these contents (mode 0644).
    WriteFile { path: PathBuf, contents: Vec<u8> },
    /// Create an empty file to mount a file over.
    Touch { path: PathBuf },
    /// `symlink(target, link)`.
    Symlink { target: PathBuf, link: PathBuf },
    /// `link(source, link)`: a store input that is a regular file, as Nix
    /// puts one in its chroot (a bind mount would need a new inode for the
    /// mount point, which on ext4 costs far more than a directory entry).
    HardLink { source: PathBuf, link: PathBuf },
    /// Remove what an earlier run left at `path` in `outputs_dir` that this
    /// run does not want there (with [`SandboxSpec::keep_inputs`]).
    Remove { path: PathBuf },
}

impl HostOp {
    /// The path the op creates.
    pub(crate) fn path(&self) -> &Path {
        match self {
            HostOp::Mkdir { path, .. }
            | HostOp::WriteFile { path, .. }
            | HostOp::Touch { path }
            | HostOp::Remove { path } => path,
            HostOp::Symlink { link, .. } | HostOp::HardLink { link, .. } => link,
        }
    }

    /// Performs the op.
    pub(crate) fn apply(&self) -> std::io::Result<()> {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
        match self {
            HostOp::Mkdir { path, mode } => {
                match std::fs::DirBuilder::new().mode(*mode).create(path) {
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                    other => other?,
                }
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(*mode))
            }
            HostOp::WriteFile { path, contents } => std::fs::write(path, contents),
            HostOp::Touch { path } => std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o644)
                .open(path)
                .map(drop),
            HostOp::Symlink { target, link } => std::os::unix::fs::symlink(target, link),
            HostOp::HardLink { source, link } => std::fs::hard_link(source, link),
            // Directories a builder left read-only are made writable first.
            HostOp::Remove { path } => {
                cairn_store::local::remove_tree(path).map_err(std::io::Error::other)
            }
        }
    }
}

/// What an earlier run with [`SandboxSpec::keep_inputs`] left in
/// `outputs_dir`, as the directory lists it (no `stat` per entry): each
/// name's inode number and kind.
pub(crate) type Leftovers = HashMap<OsString, (u64, LeftKind)>;

/// The kind of a leftover entry, from the directory listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LeftKind {
    /// A regular file: a hard link to an input, or a file mount point.
    File,
    /// A directory: a mount point.
    Dir,
    /// Anything else.
    Other,
}

/// Lists `outputs_dir` for [`Plan::build`] when inputs are kept.
fn leftovers(outputs_dir: &Path) -> std::io::Result<Leftovers> {
    use std::os::unix::fs::DirEntryExt;
    let mut found = Leftovers::new();
    for entry in std::fs::read_dir(outputs_dir)? {
        let entry = entry?;
        let file_type = entry.file_type()?;
        let kind = if file_type.is_file() {
            LeftKind::File
        } else if file_type.is_dir() {
            LeftKind::Dir
        } else {
            LeftKind::Other
        };
        found.insert(entry.file_name(), (entry.ino(), kind));
    }
    Ok(found)
}

/// One mount, made by the child inside its mount namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Op {
    /// `mount(NULL, "/", NULL, MS_PRIVATE|MS_REC)`: nothing we mount leaks
    /// back to the host, nothing the host mounts later leaks in.
    MakePrivate,
    /// Mount a fresh file system (tmpfs, proc, devpts).
    Mount {
        fstype: CString,
        target: CString,
        data: CString,
    },
    /// Recursive bind mount, optionally made read-only.
    Bind {
        source: CString,
        target: CString,
        read_only: bool,
    },
}

impl Op {
    /// A human-readable description for error messages.
    pub(crate) fn describe(&self) -> String {
        let s = |c: &CString| String::from_utf8_lossy(c.as_bytes()).into_owned();
        match self {
            Op::MakePrivate => "making all mounts private".to_owned(),
            Op::Mount { fstype, target, .. } => format!("mounting {} on {}", s(fstype), s(target)),
            Op::Bind {
                source,
                target,
                read_only,
            } => format!(
                "bind-mounting {} on {}{}",
                s(source),
                s(target),
                if *read_only { " (read-only)" } else { "" }
            ),
        }
    }
}

/// The full layout of one sandbox.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    /// Files and directories the parent creates first, in order.
    pub(crate) host: Vec<HostOp>,
    /// Mounts the child makes, in order.
    pub(crate) ops: Vec<Op>,
    /// Mount points created in the host's `outputs_dir`; the parent removes
    /// them after the run.
    pub(crate) stubs: Vec<PathBuf>,
    /// Hard links made in `outputs_dir`; the parent removes them after.
    pub(crate) links: Vec<PathBuf>,
    /// When a regular-file input may be hard-linked instead of mounted:
    /// it is on this device (`outputs_dir`'s) and the builder's host uid,
    /// the second, does not own it (else it could chmod and change it).
    link_inputs: Option<(u64, u32)>,
    /// Directories already planned, so each is created once.
    dirs: BTreeSet<PathBuf>,
    /// The paths of `host`, for [`Plan::taken`].
    created: HashSet<PathBuf>,
    /// The store paths planned so far (their names in `outputs_dir`).
    store_names: HashSet<OsString>,
    /// What is in `outputs_dir` and not claimed (yet) by an input: with
    /// [`SandboxSpec::keep_inputs`], what earlier runs left.
    leftovers: Leftovers,
    /// See [`SandboxSpec::keep_inputs`].
    keep_inputs: bool,
}

/// Turns a path into a C string, refusing interior NULs.
pub(crate) fn cstring(path: &OsStr) -> Result<CString, SandboxError> {
    CString::new(path.as_bytes())
        .map_err(|_| SandboxError::InvalidSpec(format!("{path:?} contains a NUL byte")))
}

/// Checks that `path` is absolute and has no `.`/`..` components.
fn check_inside(path: &Path) -> Result<(), SandboxError> {
    let mut comps = path.components();
    let ok = comps.next() == Some(Component::RootDir)
        && comps.all(|c| matches!(c, Component::Normal(_)));
    if ok {
        Ok(())
    } else {
        Err(SandboxError::InvalidSpec(format!(
            "sandbox path {} must be absolute and normalised",
            path.display()
        )))
    }
}

impl Plan {
    fn push(&mut self, op: Op) {
        self.ops.push(op);
    }

    /// `root` + `inside`.
    fn at(root: &Path, inside: &Path) -> PathBuf {
        root.join(inside.strip_prefix("/").unwrap_or(inside))
    }

    fn mkdir(&mut self, path: PathBuf, mode: u32) {
        if self.dirs.insert(path.clone()) {
            self.push_host(HostOp::Mkdir { path, mode });
        }
    }

    /// Creates every directory from `root` (exclusive) down to `path`
    /// (inclusive).
    fn mkdir_all(&mut self, root: &Path, path: &Path) {
        let mut missing: Vec<&Path> = path
            .ancestors()
            .take_while(|a| *a != root && a.starts_with(root))
            .collect();
        missing.reverse();
        for dir in missing {
            self.mkdir(dir.to_owned(), 0o755);
        }
    }

    fn taken(&self, path: &Path) -> bool {
        self.dirs.contains(path) || self.created.contains(path)
    }

    fn push_host(&mut self, op: HostOp) {
        self.created.insert(op.path().to_owned());
        self.host.push(op);
    }

    /// Makes host path `bind.host` appear at `bind.inside`, as Nix's `doBind`:
    /// directories and files are bind-mounted, symlinks are copied.
    fn bind(
        &mut self,
        root: &Path,
        bind: &BindPath,
        read_only: bool,
        store: Option<(&Path, &Path)>,
    ) -> Result<(), SandboxError> {
        check_inside(&bind.inside)?;
        let target = Self::at(root, &bind.inside);
        // Where the mount point is created on the host: in the skeleton, or
        // for a store path in `outputs_dir`, which is mounted on the store.
        let mut host_target = target.clone();
        // What an earlier run left in `outputs_dir` under this input's name.
        let mut left = None;
        if let Some((store_dir, outputs_dir)) = store
            && let Ok(rest) = bind.inside.strip_prefix(store_dir)
        {
            let mut comps = rest.components();
            let (Some(Component::Normal(name)), None) = (comps.next(), comps.next()) else {
                return Err(SandboxError::InvalidSpec(format!(
                    "{} is inside the store directory but is not a store path (a direct child of {})",
                    bind.inside.display(),
                    store_dir.display()
                )));
            };
            host_target = outputs_dir.join(name);
            if !self.store_names.insert(name.to_owned()) {
                return Err(SandboxError::InvalidSpec(format!(
                    "input {} is given twice",
                    bind.inside.display(),
                )));
            }
            left = self.leftovers.remove(name);
            if left.is_some() && !self.keep_inputs {
                return Err(SandboxError::InvalidSpec(format!(
                    "input {} already exists in outputs_dir {}",
                    bind.inside.display(),
                    outputs_dir.display()
                )));
            }
            self.stubs.push(host_target.clone());
        } else {
            if self.taken(&target) {
                return Err(SandboxError::InvalidSpec(format!(
                    "{} is mounted twice",
                    bind.inside.display()
                )));
            }
            if let Some(parent) = target.parent() {
                self.mkdir_all(root, parent);
            }
        }
        let meta = bind
            .host
            .symlink_metadata()
            .map_err(|source| SandboxError::HostPath {
                path: bind.host.clone(),
                source,
            })?;
        let linkable = host_target != target
            && meta.is_file()
            && self.link_inputs.is_some_and(|(dev, uid)| {
                use std::os::unix::fs::MetadataExt;
                meta.dev() == dev && meta.uid() != uid
            });
        // A kept hard link is the input itself (the same inode, on the same
        // file system); a kept mount point is covered by the mount. Anything
        // else under the name goes first: a builder may have put it there
        // for a later build to find.
        if let Some((ino, kind)) = left {
            use std::os::unix::fs::MetadataExt;
            let keep = if linkable {
                kind == LeftKind::File && ino == meta.ino()
            } else {
                (meta.is_dir() && kind == LeftKind::Dir)
                    || (meta.is_file() && kind == LeftKind::File)
            };
            if keep {
                if !linkable {
                    self.push(Op::Bind {
                        source: cstring(bind.host.as_os_str())?,
                        target: cstring(target.as_os_str())?,
                        read_only,
                    });
                }
                return Ok(());
            }
            self.push_host(HostOp::Remove {
                path: host_target.clone(),
            });
        }
        if meta.file_type().is_symlink() {
            let link = std::fs::read_link(&bind.host).map_err(|source| SandboxError::HostPath {
                path: bind.host.clone(),
                source,
            })?;
            self.push_host(HostOp::Symlink {
                target: link,
                link: host_target,
            });
            return Ok(());
        }
        if linkable {
            self.links.push(host_target.clone());
            self.push_host(HostOp::HardLink {
                source: bind.host.clone(),
                link: host_target,
            });
            return Ok(());
        }
        if meta.is_dir() {
            if host_target == target {
                self.mkdir(host_target, 0o755);
            } else {
                self.push_host(HostOp::Mkdir {
                    path: host_target,
                    mode: 0o755,
                });
            }
        } else {
            self.push_host(HostOp::Touch { path: host_target });
        }
        self.push(Op::Bind {
            source: cstring(bind.host.as_os_str())?,
            target: cstring(target.as_os_str())?,
            read_only,
        });
        Ok(())
    }

    fn mount(&mut self, fstype: &str, target: &Path, data: &str) -> Result<(), SandboxError> {
        let c = |s: &str| cstring(OsStr::new(s));
        self.push(Op::Mount {
            fstype: c(fstype)?,
            target: cstring(target.as_os_str())?,
            data: c(data)?,
        });
        Ok(())
    }

    fn write(&mut self, path: PathBuf, contents: &str) {
        self.push_host(HostOp::WriteFile {
            path,
            contents: contents.as_bytes().to_vec(),
        });
    }

    fn symlink(&mut self, target: &str, link: PathBuf) {
        self.push_host(HostOp::Symlink {
            target: PathBuf::from(target),
            link,
        });
    }

    /// The layout of Nix 2.8's chroot, in the (empty) host directory `root`.
    pub(crate) fn build(spec: &SandboxSpec, root: &Path) -> Result<Plan, SandboxError> {
        check_inside(&spec.store_dir)?;
        if spec.store_dir == Path::new("/") {
            return Err(SandboxError::InvalidSpec(
                "store_dir must not be /".to_owned(),
            ));
        }
        let mut plan = Plan::default();
        plan.push(Op::MakePrivate);
        // pivot_root needs the new root to be a mount point.
        let root_c = cstring(root.as_os_str())?;
        plan.push(Op::Bind {
            source: root_c.clone(),
            target: root_c,
            read_only: false,
        });
        plan.dirs.insert(root.to_owned());

        // /etc. Nix writes hosts only when the builder has no network; with
        // network it binds the host's files below.
        let etc = root.join("etc");
        plan.mkdir(etc.clone(), 0o755);
        plan.write(etc.join("passwd"), &etc::passwd());
        plan.write(etc.join("group"), &etc::group());
        if !spec.network {
            plan.write(etc.join("hosts"), etc::HOSTS);
        }

        // A world-writable /tmp, as Nix creates ("many builders need this").
        plan.mkdir(root.join("tmp"), 0o1777);

        // The writable store directory, then /build.
        let store = Self::at(root, &spec.store_dir);
        plan.mkdir_all(root, &store);
        plan.push(Op::Bind {
            source: cstring(spec.outputs_dir.as_os_str())?,
            target: cstring(store.as_os_str())?,
            read_only: false,
        });
        let build = Self::at(root, Path::new(BUILD_DIR_INSIDE));
        plan.mkdir(build.clone(), 0o700);
        plan.push(Op::Bind {
            source: cstring(spec.build_dir.as_os_str())?,
            target: cstring(build.as_os_str())?,
            read_only: false,
        });

        let store_ctx = Some((spec.store_dir.as_path(), spec.outputs_dir.as_path()));
        let builder_uid = spec
            .build_user
            .map_or_else(|| rustix::process::geteuid().as_raw(), |ids| ids.uid);
        plan.link_inputs = std::fs::metadata(&spec.outputs_dir)
            .ok()
            .map(|m| (std::os::unix::fs::MetadataExt::dev(&m), builder_uid));
        // One listing instead of a `stat` per input.
        plan.leftovers = leftovers(&spec.outputs_dir).map_err(|source| SandboxError::HostPath {
            path: spec.outputs_dir.clone(),
            source,
        })?;
        plan.keep_inputs = spec.keep_inputs;
        for input in &spec.inputs {
            plan.bind(root, input, true, store_ctx)?;
        }
        // What earlier runs left and this one does not want: outputs of
        // failed builds, whatever a builder wrote besides its outputs,
        // inputs of other builds.
        let mut unwanted: Vec<OsString> = plan.leftovers.drain().map(|(name, _)| name).collect();
        if !spec.keep_inputs {
            unwanted.clear();
        }
        unwanted.sort();
        for name in unwanted {
            plan.push_host(HostOp::Remove {
                path: spec.outputs_dir.join(name),
            });
        }
        for extra in &spec.extra_paths {
            plan.bind(root, extra, true, store_ctx)?;
        }
        if spec.network {
            for file in etc::NETWORK_FILES {
                if Path::new(file).exists() {
                    plan.bind(root, &BindPath::same(*file), true, None)?;
                }
            }
        }

        // A minimal /dev, unless the caller binds the host's.
        if !spec
            .extra_paths
            .iter()
            .any(|p| p.inside == Path::new("/dev"))
        {
            let dev = root.join("dev");
            plan.mkdir(dev.clone(), 0o755);
            plan.mkdir(dev.join("shm"), 0o755);
            plan.mkdir(dev.join("pts"), 0o755);
            for device in etc::DEVICES {
                if Path::new(device).exists() {
                    plan.bind(root, &BindPath::same(*device), true, None)?;
                }
            }
            plan.symlink("/proc/self/fd", dev.join("fd"));
            plan.symlink("/proc/self/fd/0", dev.join("stdin"));
            plan.symlink("/proc/self/fd/1", dev.join("stdout"));
            plan.symlink("/proc/self/fd/2", dev.join("stderr"));
            plan.symlink("/dev/pts/ptmx", dev.join("ptmx"));
            plan.mount("tmpfs", &dev.join("shm"), "size=50%")?;
            plan.mount(
                "devpts",
                &dev.join("pts"),
                "newinstance,mode=0620,ptmxmode=0666",
            )?;
        }

        // A procfs of the new PID namespace.
        let proc = root.join("proc");
        plan.mkdir(proc.clone(), 0o555);
        plan.mount("proc", &proc, "")?;
        Ok(plan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(dir: &Path) -> SandboxSpec {
        let build = dir.join("build");
        let out = dir.join("out");
        std::fs::create_dir_all(&build).unwrap();
        std::fs::create_dir_all(&out).unwrap();
        SandboxSpec::new("/bin/sh", build, out)
    }

    fn binds(plan: &Plan) -> Vec<String> {
        plan.ops
            .iter()
            .filter_map(|op| match op {
                Op::Bind {
                    target, read_only, ..
                } => Some(format!(
                    "{}{}",
                    target.to_str().unwrap(),
                    if *read_only { " ro" } else { "" }
                )),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn layout_binds_store_build_inputs_and_devices() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = spec(dir.path());
        s.inputs
            .push(BindPath::new("/nix/store/aaaa-busybox", "/bin/busybox"));
        s.extra_paths.push(BindPath::new("/bin/sh", "/bin/busybox"));
        let plan = Plan::build(&s, Path::new("/r")).unwrap();
        let b = binds(&plan);
        assert_eq!(b[0], "/r");
        assert_eq!(b[1], "/r/nix/store");
        assert_eq!(b[2], "/r/build");
        assert_eq!(b[3], "/r/nix/store/aaaa-busybox ro");
        assert_eq!(b[4], "/r/bin/sh ro");
        assert!(b.contains(&"/r/dev/null ro".to_owned()));
        // The store path's mount point is made in outputs_dir, and removed later.
        let stub = s.outputs_dir.join("aaaa-busybox");
        assert_eq!(plan.stubs, vec![stub.clone()]);
        assert!(plan.host.contains(&HostOp::Touch { path: stub }));
        assert!(plan.host.contains(&HostOp::Mkdir {
            path: "/r/tmp".into(),
            mode: 0o1777
        }));
        assert!(
            matches!(plan.ops.last(), Some(Op::Mount { fstype, .. }) if fstype.to_str() == Ok("proc"))
        );
    }

    #[test]
    fn network_binds_host_files_instead_of_writing_hosts() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = spec(dir.path());
        let hosts = Path::new("/r/etc/hosts");
        let plan = Plan::build(&s, Path::new("/r")).unwrap();
        assert!(
            plan.host
                .iter()
                .any(|op| matches!(op, HostOp::WriteFile { path, .. } if path == hosts))
        );
        s.network = true;
        let plan = Plan::build(&s, Path::new("/r")).unwrap();
        assert!(
            !plan
                .host
                .iter()
                .any(|op| matches!(op, HostOp::WriteFile { path, .. } if path == hosts))
        );
        assert!(binds(&plan).contains(&"/r/etc/hosts ro".to_owned()));
    }

    #[test]
    fn kept_inputs_are_checked_and_only_what_changed_is_redone() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = spec(dir.path());
        // Not the file's owner, so regular files are hard-linked.
        s.build_user = Some(crate::HostIds {
            uid: rustix::process::geteuid().as_raw() + 1,
            gid: 100,
        });
        s.keep_inputs = true;
        let store = dir.path().join("store");
        std::fs::create_dir(&store).unwrap();
        let input = |name: &str, dir: bool| {
            let host = store.join(name);
            if dir {
                std::fs::create_dir(&host).unwrap();
            } else {
                std::fs::write(&host, name).unwrap();
            }
            BindPath::new(format!("/nix/store/{name}"), host)
        };
        let kept = input("aaaa-kept", false);
        let changed = input("bbbb-changed", false);
        let tree = input("cccc-tree", true);
        let fresh = input("dddd-fresh", false);
        // What an earlier run left: the kept input's own inode, a file that
        // is not the input under the changed one's name, the tree's mount
        // point, and an output of that run.
        std::fs::hard_link(&kept.host, s.outputs_dir.join("aaaa-kept")).unwrap();
        std::fs::write(s.outputs_dir.join("bbbb-changed"), "planted").unwrap();
        std::fs::create_dir(s.outputs_dir.join("cccc-tree")).unwrap();
        std::fs::write(s.outputs_dir.join("eeee-old-output"), "x").unwrap();
        s.inputs = vec![kept, changed.clone(), tree, fresh.clone()];

        let plan = Plan::build(&s, Path::new("/r")).unwrap();
        let in_outputs: Vec<&HostOp> = plan
            .host
            .iter()
            .filter(|op| op.path().starts_with(&s.outputs_dir))
            .collect();
        let at = |name: &str| s.outputs_dir.join(name);
        assert_eq!(
            in_outputs,
            vec![
                &HostOp::Remove {
                    path: at("bbbb-changed")
                },
                &HostOp::HardLink {
                    source: changed.host.clone(),
                    link: at("bbbb-changed")
                },
                &HostOp::HardLink {
                    source: fresh.host.clone(),
                    link: at("dddd-fresh")
                },
                &HostOp::Remove {
                    path: at("eeee-old-output")
                },
            ]
        );
        // The kept mount point is mounted on again.
        assert!(binds(&plan).contains(&"/r/nix/store/cccc-tree ro".to_owned()));

        // Without keep_inputs an existing entry is refused, not replaced.
        s.keep_inputs = false;
        assert!(matches!(
            Plan::build(&s, Path::new("/r")).unwrap_err(),
            SandboxError::InvalidSpec(_)
        ));
    }

    #[test]
    fn rejects_bad_paths() {
        let dir = tempfile::tempdir().unwrap();
        let bad = |f: &dyn Fn(&mut SandboxSpec)| {
            let mut s = spec(dir.path());
            f(&mut s);
            Plan::build(&s, Path::new("/r")).unwrap_err()
        };
        let invalid = |e: SandboxError| matches!(e, SandboxError::InvalidSpec(_));
        assert!(invalid(bad(&|s| s
            .inputs
            .push(BindPath::new("relative", "/bin/busybox")))));
        assert!(invalid(bad(&|s| s
            .inputs
            .push(BindPath::new("/nix/store/a/b", "/bin")))));
        assert!(invalid(bad(&|s| s
            .inputs
            .push(BindPath::new("/x/../y", "/bin")))));
        assert!(invalid(bad(&|s| {
            s.inputs.push(BindPath::new("/bin/sh", "/bin/busybox"));
            s.inputs.push(BindPath::new("/bin/sh", "/bin/busybox"));
        })));
        assert!(invalid(bad(&|s| {
            s.inputs.push(BindPath::new("/nix/store/a-x", "/bin"));
            s.inputs.push(BindPath::new("/nix/store/a-x", "/bin"));
        })));
        assert!(invalid(bad(&|s| s.store_dir = "/".into())));
        let missing = dir.path().join("missing");
        assert!(matches!(
            bad(&|s| s.inputs.push(BindPath::new("/bin/sh", &missing))),
            SandboxError::HostPath { .. }
        ));
        let out = dir.path().join("out");
        std::fs::create_dir(out.join("bbbb-x")).unwrap();
        assert!(invalid(bad(&|s| s
            .inputs
            .push(BindPath::new("/nix/store/bbbb-x", "/bin")))));
    }
}
