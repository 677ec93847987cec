//! Realisation: from derivations to valid store paths.
//!
//! [`realise`] loads the derivation graph below the targets, skips what is
//! valid already (or can be substituted through a [`Substituter`]), and
//! builds the rest in dependency order, up to [`BuildSettings::max_jobs`]
//! at once. Each build runs in the sandbox ([`crate::run`]) with the
//! environment Nix gives its builders ([`setup`]), writes its outputs into a
//! staging directory inside the store, and its outputs are checked and
//! hashed there ([`outputs`]) and then registered all at once
//! (`LocalStore::register_outputs`). A build that fails, or a process that
//! dies, never leaves a registered output behind.
//!
//! The store is used from the calling thread only; worker threads run the
//! builders and process outputs, which touch nothing but their own
//! directories.

pub mod attrs;
mod check;
mod graph;
pub mod log;
mod outputs;
pub mod progress;
pub mod request;
mod schedule;
pub mod setup;
mod timings;
mod unsandboxed;
mod userpool;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use cairn_derivation::{DerivationError, OutputName};
use cairn_store::local::{LocalStore, LocalStoreError};
use cairn_store::path::{StoreDir, StorePath};

use crate::{BindPath, BuildStatus, HostIds};

pub use schedule::realise;
pub use timings::{BuildTimings, TimingSummary};

/// How builds run. [`BuildSettings::default`] gives Nix's defaults.
#[derive(Debug, Clone)]
pub struct BuildSettings {
    /// How many builds may run at once (`-j`, Nix's `max-jobs`).
    pub max_jobs: usize,
    /// `NIX_BUILD_CORES`: how many cores each builder may use (`--cores`).
    pub cores: usize,
    /// Keep building what does not depend on a failed build (`--keep-going`).
    pub keep_going: bool,
    /// Rebuild the targets' outputs although they are valid, and compare
    /// the results with them bit for bit instead of registering (`--check`).
    pub check: bool,
    /// Kill a builder that runs longer than this (`--timeout`).
    pub timeout: Option<Duration>,
    /// Kill a builder that is silent longer than this (`--max-silent-time`).
    pub max_silent: Option<Duration>,
    /// Build in the sandbox. Without it the builder runs as a plain process
    /// of the caller (only possible for the store at `/`).
    pub sandbox: bool,
    /// Host paths shown in every sandbox (`sandbox-paths`).
    pub sandbox_paths: Vec<BindPath>,
    /// The build users, one per concurrent build; empty means the caller's
    /// own ids (refused by the sandbox when the caller is root).
    pub build_users: Vec<HostIds>,
    /// Where the sandbox makes its root skeletons (see
    /// [`crate::SandboxSpec::scratch_dir`]). The default is `/dev/shm`
    /// when it is a writable tmpfs (setup costs a fraction of what it does
    /// on a disk), else the temp dir.
    pub scratch_dir: Option<PathBuf>,
    /// Where build directories are made (default: the temp dir).
    pub build_dir_parent: Option<PathBuf>,
    /// The platforms this machine builds for (Nix's `system` and
    /// `extra-platforms`).
    pub systems: Vec<String>,
    /// Compress logs with bzip2, as Nix's `compress-build-log`.
    pub compress_logs: bool,
}

impl Default for BuildSettings {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        BuildSettings {
            max_jobs: 1,
            cores,
            keep_going: false,
            check: false,
            timeout: None,
            max_silent: None,
            sandbox: true,
            sandbox_paths: Vec::new(),
            build_users: Vec::new(),
            scratch_dir: tmpfs_scratch_dir(),
            build_dir_parent: None,
            systems: host_systems(),
            compress_logs: true,
        }
    }
}

/// `/dev/shm` when it is a tmpfs this process can write to.
fn tmpfs_scratch_dir() -> Option<PathBuf> {
    const TMPFS_MAGIC: i64 = 0x0102_1994;
    let dir = Path::new("/dev/shm");
    let stat = rustix::fs::statfs(dir).ok()?;
    let writable = rustix::fs::access(dir, rustix::fs::Access::WRITE_OK).is_ok();
    #[allow(clippy::useless_conversion)] // `f_type`'s type differs between targets
    let is_tmpfs = i64::from(stat.f_type) == TMPFS_MAGIC;
    (is_tmpfs && writable).then(|| dir.to_path_buf())
}

/// This machine's system double and the ones it can also run, as Nix's
/// defaults (`x86_64-linux` also builds `i686-linux`).
pub fn host_systems() -> Vec<String> {
    let system = format!("{}-linux", std::env::consts::ARCH);
    let mut systems = vec![system.clone()];
    if system == "x86_64-linux" {
        systems.push("i686-linux".to_owned());
    }
    systems
}

impl BuildSettings {
    /// The build users Nix itself would use when the caller is root: the
    /// members of group `nixbld`, all of them (a build takes one that no
    /// other cairn or Nix process holds), or, without such a group, `count`
    /// uids 30001… in gid 30000. Empty when the caller is not root.
    pub fn system_build_users(count: usize) -> Vec<HostIds> {
        if !rustix::process::geteuid().is_root() {
            return Vec::new();
        }
        let from_group = nixbld_users();
        if !from_group.is_empty() {
            // All of them: some may be in use by Nix or another cairn
            // (see `userpool`); `max_jobs` limits how many are used at once.
            return from_group;
        }
        (0..count.max(1))
            .map(|i| HostIds {
                uid: 30001 + u32::try_from(i).unwrap_or(0),
                gid: 30000,
            })
            .collect()
    }
}

/// The members of group `nixbld` with their uids, from `/etc/group` and
/// `/etc/passwd`.
fn nixbld_users() -> Vec<HostIds> {
    let (Ok(group), Ok(passwd)) = (
        std::fs::read_to_string("/etc/group"),
        std::fs::read_to_string("/etc/passwd"),
    ) else {
        return Vec::new();
    };
    let Some((gid, members)) = group.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.len() >= 4 && fields[0] == "nixbld")
            .then(|| Some((fields[2].parse::<u32>().ok()?, fields[3].to_owned())))
            .flatten()
    }) else {
        return Vec::new();
    };
    members
        .split(',')
        .filter_map(|member| {
            passwd.lines().find_map(|line| {
                let fields: Vec<&str> = line.split(':').collect();
                (fields.len() >= 3 && fields[0] == member)
                    .then(|| fields[2].parse::<u32>().ok())
                    .flatten()
            })
        })
        .filter(|&uid| uid != 0)
        .map(|uid| HostIds { uid, gid })
        .collect()
}

/// Which outputs of a derivation are wanted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputSelection {
    /// All of them (`drv` or `drv!*`).
    All,
    /// These (`drv!out,dev`).
    Names(BTreeSet<OutputName>),
}

/// A derivation to realise, with the outputs wanted of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The `.drv` store path.
    pub drv: StorePath,
    /// Its wanted outputs.
    pub outputs: OutputSelection,
}

impl Target {
    /// Parses `PATH.drv` or `PATH.drv!out,dev` (`!*` for all outputs).
    pub fn parse(store_dir: &StoreDir, text: &str) -> Result<Target, BuildError> {
        let (path, outputs) = match text.rsplit_once('!') {
            Some((path, "*")) => (path, OutputSelection::All),
            Some((path, names)) => {
                let names = names
                    .split(',')
                    .map(OutputName::new)
                    .collect::<Result<BTreeSet<_>, _>>()
                    .map_err(|source| BuildError::Derivation {
                        path: text.to_owned(),
                        source,
                    })?;
                (path, OutputSelection::Names(names))
            }
            None => (text, OutputSelection::All),
        };
        let drv = store_dir
            .parse_path(path)
            .map_err(|e| BuildError::Store(e.into()))?;
        Target::checked(drv, outputs, text)
    }

    /// Like [`Target::parse`], but the path may also be a symlink to a
    /// `.drv` (as `nix-instantiate --add-root` leaves).
    pub fn resolve(store: &LocalStore, text: &str) -> Result<Target, BuildError> {
        if let Ok(target) = Target::parse(store.store_dir(), text) {
            return Ok(target);
        }
        let (path, selection) = match text.rsplit_once('!') {
            Some((path, outputs)) => (path, Some(outputs)),
            None => (text, None),
        };
        let drv = store.resolve(Path::new(path))?;
        let mut named = store.store_dir().display_path(&drv);
        if let Some(outputs) = selection {
            named.push('!');
            named.push_str(outputs);
        }
        Target::parse(store.store_dir(), &named)
    }

    fn checked(drv: StorePath, outputs: OutputSelection, text: &str) -> Result<Target, BuildError> {
        if !drv.name().as_str().ends_with(".drv") {
            return Err(BuildError::NotADerivation(text.to_owned()));
        }
        Ok(Target { drv, outputs })
    }
}

/// Fetches store paths from elsewhere instead of building them (a binary
/// cache): the store crate's trait, so that cairn-cache implements it
/// without cairn-build depending on cairn-cache. An error is reported as a
/// warning and the path is built instead.
pub use cairn_store::local::import::Substitute as Substituter;

/// Follows the builds as they run. Methods are called from worker threads.
pub trait Progress: Sync {
    /// The graph is loaded: `builds` derivations will be built. Called
    /// once, on the calling thread, before any build starts.
    fn planned(&self, builds: usize) {
        let _ = builds;
    }
    /// A build is about to start; its log goes to `log`.
    fn started(&self, drv: &StorePath, log: &Path) {
        let _ = (drv, log);
    }
    /// A chunk of a running build's output.
    fn log(&self, drv: &StorePath, chunk: &[u8]) {
        let _ = (drv, chunk);
    }
    /// A build ended, successfully or with `failure`.
    fn finished(&self, drv: &StorePath, failure: Option<&BuildFailure>) {
        let _ = (drv, failure);
    }
}

/// A [`Progress`] that shows nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Quiet;

impl Progress for Quiet {}

/// Why a derivation was not built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureKind {
    /// The builder ended badly (non-zero exit, signal, timeout, silence).
    Builder(BuildStatus),
    /// The builder succeeded but its outputs were rejected (missing output,
    /// hash mismatch, forbidden reference, …).
    Outputs(String),
    /// The build could not be set up or the sandbox failed.
    Setup(String),
    /// A derivation it depends on failed.
    DependencyFailed(StorePath),
    /// With `--check`: the rebuilt output differs from the valid one
    /// (which output, and where first).
    NotDeterministic(String),
}

/// One failed derivation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildFailure {
    /// The derivation, printed as an absolute path.
    pub drv: String,
    /// What happened.
    pub kind: FailureKind,
    /// The last lines of its log (at most [`log::TAIL_LINES`]).
    pub log_tail: Vec<String>,
    /// Where the whole log is.
    pub log_path: Option<PathBuf>,
}

impl fmt::Display for BuildFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            FailureKind::Builder(status) => {
                let how = match status {
                    BuildStatus::Exited(code) => format!("failed with exit code {code}"),
                    BuildStatus::Signaled(signal) => format!("was killed by signal {signal}"),
                    BuildStatus::TimedOut => "timed out".to_owned(),
                    BuildStatus::SilentTooLong => {
                        "was silent for too long and was killed".to_owned()
                    }
                };
                write!(f, "builder for '{}' {how}", self.drv)?;
            }
            FailureKind::Outputs(message) | FailureKind::Setup(message) => {
                write!(f, "building '{}': {message}", self.drv)?;
            }
            FailureKind::NotDeterministic(difference) => {
                write!(
                    f,
                    "derivation '{}' may not be deterministic: {difference}",
                    self.drv
                )?;
            }
            FailureKind::DependencyFailed(dep) => {
                return write!(
                    f,
                    "cannot build '{}': its dependency '{dep}' failed",
                    self.drv
                );
            }
        }
        if !self.log_tail.is_empty() {
            write!(f, ";\nlast {} log lines:", self.log_tail.len())?;
            for line in &self.log_tail {
                write!(f, "\n> {line}")?;
            }
        }
        if let Some(path) = &self.log_path {
            write!(
                f,
                "\nFor full logs, run 'cairn log {}' (the log is {}).",
                self.drv,
                path.display()
            )?;
        }
        Ok(())
    }
}

/// What [`realise`] did.
#[derive(Debug, Clone, Default)]
pub struct RealiseReport {
    /// For each target, in order: the wanted outputs and their paths (empty
    /// when the target failed).
    pub outputs: Vec<(StorePath, BTreeMap<OutputName, StorePath>)>,
    /// The derivations built, in the order they finished.
    pub built: Vec<StorePath>,
    /// The paths substituted.
    pub substituted: Vec<StorePath>,
    /// The derivations that failed, and those not built because of them.
    pub failures: Vec<BuildFailure>,
    /// Problems that did not stop anything (a failed substitution).
    pub warnings: Vec<String>,
    /// Where the time of each successful build went, in the order they
    /// finished.
    pub timings: Vec<BuildTimings>,
}

impl RealiseReport {
    /// True when every target's outputs are valid.
    pub fn success(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Why realisation could not proceed at all (a failing build is not an
/// error: it is in [`RealiseReport::failures`]).
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] LocalStoreError),
    /// A `.drv` file could not be read.
    #[error("reading the derivation {path}")]
    ReadDerivation {
        /// The `.drv` path.
        path: String,
        /// What went wrong.
        #[source]
        source: std::io::Error,
    },
    /// A `.drv` file is malformed, or an output name is invalid.
    #[error("derivation {path}")]
    Derivation {
        /// The `.drv` path or argument.
        path: String,
        /// What is wrong.
        #[source]
        source: DerivationError,
    },
    /// A target names something that is not a derivation.
    #[error("'{0}' is not a derivation (a store path ending in .drv)")]
    NotADerivation(String),
    /// A derivation is unusable as it stands.
    #[error("derivation '{drv}': {message}")]
    Invalid {
        /// The `.drv` path.
        drv: String,
        /// What is wrong.
        message: String,
    },
    /// `--check` of a derivation whose outputs are not all valid.
    #[error("some outputs of '{0}' are not valid, so checking is not possible")]
    CheckInvalid(String),
    /// A wanted output does not exist.
    #[error("derivation '{drv}' does not have wanted output '{output}'")]
    NoSuchOutput {
        /// The `.drv` path.
        drv: String,
        /// The output.
        output: String,
    },
    /// An input source is neither valid nor substitutable.
    #[error("path '{0}' is required, but it is not valid and no substitute is known")]
    MissingInput(String),
    /// `--no-sandbox` with a store whose files are not where its paths say.
    #[error(
        "building without the sandbox needs the store at / (its paths name /nix/store); use the sandbox for a chroot store"
    )]
    UnsandboxedChroot,
}

impl BuildError {
    pub(crate) fn invalid(drv: &StorePath, store_dir: &StoreDir, message: String) -> BuildError {
        BuildError::Invalid {
            drv: store_dir.display_path(drv),
            message,
        }
    }
}
