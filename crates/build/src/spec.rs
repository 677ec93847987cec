//! What to run and how to isolate it: the input of [`crate::run`].

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

/// The uid the builder sees inside the sandbox (Nix's `sandboxUid`).
pub const SANDBOX_UID: u32 = 1000;
/// The gid the builder sees inside the sandbox (Nix's `sandboxGid`).
pub const SANDBOX_GID: u32 = 100;

/// The host user and group the builder runs as.
///
/// Inside the sandbox they always appear as uid [`SANDBOX_UID`] (`nixbld`)
/// and gid [`SANDBOX_GID`]. This is Nix's build user: when the caller is
/// root it must name an unprivileged uid/gid, because a builder that is root
/// on the host could still write host files that root owns, through `/proc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostIds {
    /// Host uid mapped to [`SANDBOX_UID`].
    pub uid: u32,
    /// Host gid mapped to [`SANDBOX_GID`].
    pub gid: u32,
}

/// A host path made visible inside the sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindPath {
    /// Absolute path inside the sandbox.
    pub inside: PathBuf,
    /// Absolute path on the host (a file, directory or symlink).
    pub host: PathBuf,
}

impl BindPath {
    /// A host path shown at `inside`.
    pub fn new(inside: impl Into<PathBuf>, host: impl Into<PathBuf>) -> Self {
        BindPath {
            inside: inside.into(),
            host: host.into(),
        }
    }

    /// A host path shown at the same path inside.
    pub fn same(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        BindPath {
            inside: path.clone(),
            host: path,
        }
    }
}

/// Everything [`crate::run`] needs to start one builder in a sandbox.
///
/// Build one with [`SandboxSpec::new`] and set the public fields.
#[derive(Debug, Clone)]
pub struct SandboxSpec {
    /// The program to execute, as a path inside the sandbox.
    pub builder: PathBuf,
    /// Arguments after `argv[0]` (which is the base name of `builder`, as
    /// in Nix).
    pub args: Vec<OsString>,
    /// The builder's complete environment; nothing is inherited.
    pub env: Vec<(OsString, OsString)>,
    /// Host directory bind-mounted read-write as `/build`, the builder's cwd.
    pub build_dir: PathBuf,
    /// The store directory as the builder sees it, e.g. `/nix/store`.
    pub store_dir: PathBuf,
    /// Host directory shown read-write at `store_dir`; the builder writes
    /// its outputs here. Its mode is set to 1775, as Nix does for the store
    /// directory of its chroot.
    pub outputs_dir: PathBuf,
    /// The input closure, mounted read-only. An input inside `store_dir`
    /// must be a direct child of it (a store path).
    pub inputs: Vec<BindPath>,
    /// Extra host paths (Nix's `sandbox-paths`, e.g. `/bin/sh=/bin/busybox`),
    /// mounted read-only.
    pub extra_paths: Vec<BindPath>,
    /// Share the host network (fixed-output derivations only). Without it the
    /// builder gets a private network namespace with just loopback.
    pub network: bool,
    /// Kill the builder after this much wall-clock time.
    pub timeout: Option<Duration>,
    /// Kill the builder after this long without output.
    pub max_silent: Option<Duration>,
    /// The host ids to run as; `None` means the caller's own ids, which is
    /// refused when the caller is root.
    pub build_user: Option<HostIds>,
    /// Host directory in which the sandbox's root skeleton (a few dozen
    /// directories and mount points, and the builder's `/tmp`) is created
    /// and removed again; `None` means [`std::env::temp_dir`]. On a tmpfs
    /// (e.g. `/dev/shm`) setup is several times cheaper than on a disk
    /// file system, at the price of `/tmp` writes using memory.
    pub scratch_dir: Option<PathBuf>,
    /// Leave the inputs made in `outputs_dir` (hard links, mount points)
    /// there after the run, and take over those an earlier run left, after
    /// checking each (a hard link must be the input's own inode); anything
    /// else found in `outputs_dir` is removed before the builder starts.
    /// A caller that runs builds one after another in the same
    /// `outputs_dir` then pays only for the inputs that changed: in a chain
    /// of builds each one's input closure holds all those before it.
    pub keep_inputs: bool,
}

impl SandboxSpec {
    /// A spec with no arguments, environment, inputs or limits, and the
    /// store at `/nix/store`.
    pub fn new(
        builder: impl Into<PathBuf>,
        build_dir: impl Into<PathBuf>,
        outputs_dir: impl Into<PathBuf>,
    ) -> Self {
        SandboxSpec {
            builder: builder.into(),
            args: Vec::new(),
            env: Vec::new(),
            build_dir: build_dir.into(),
            store_dir: PathBuf::from("/nix/store"),
            outputs_dir: outputs_dir.into(),
            inputs: Vec::new(),
            extra_paths: Vec::new(),
            network: false,
            timeout: None,
            max_silent: None,
            build_user: None,
            scratch_dir: None,
            keep_inputs: false,
        }
    }
}

/// How the builder ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildStatus {
    /// It exited with this code.
    Exited(i32),
    /// It was killed by this signal (not by us).
    Signaled(i32),
    /// We killed it because it ran longer than [`SandboxSpec::timeout`].
    TimedOut,
    /// We killed it because it was silent longer than
    /// [`SandboxSpec::max_silent`].
    SilentTooLong,
}

/// The result of one sandboxed run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuildOutcome {
    /// How the builder ended.
    pub status: BuildStatus,
    /// Wall-clock time from starting the sandbox to reaping the builder.
    pub duration: Duration,
    /// The part of `duration` spent before the builder ran: preparing the
    /// sandbox's file system, creating the namespaces and mounting, up to
    /// the builder's `execve` (zero where there is no sandbox).
    pub setup: Duration,
}

impl BuildOutcome {
    /// Whether the builder exited with code 0.
    pub fn success(&self) -> bool {
        self.status == BuildStatus::Exited(0)
    }
}
