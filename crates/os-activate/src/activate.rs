//! Switching a machine to a built system: the profile, the boot entries,
//! the accounts, /etc and `/run/current-system`, in NixOS's order.
//!
//! - `switch`: new profile generation, boot entries, then activation;
//! - `boot`: new profile generation and boot entries only;
//! - `test`: activation only (the next boot is unchanged);
//! - `dry-activate`: nothing changes; says what activation would install.
//!
//! Activation writes into the machine at a [`MachineRoot`]; for a root
//! other than `/` it is what an installer does (no activation script is
//! run, no service is touched). One activation at a time: a lock under
//! `/var/lib/cairn` is held throughout.

use std::path::{Path, PathBuf};

use cairn_generations::{Profile, ProfileLock};

use crate::boot::{self, BootError};
use crate::etc::{self, EtcError, EtcReport};
use crate::plan::{self, NoUnits, Systemctl, UnitControl, UnitPlan};
use crate::root::{MachineRoot, atomic_symlink};
use crate::toplevel::{Toplevel, ToplevelError};
use crate::users::{self, Accounts, UsersError};

/// The system profile, as the machine sees it.
pub const SYSTEM_PROFILE: &str = "/nix/var/nix/profiles/system";

/// Names the system whose activation started and has not finished; its
/// presence after a crash is what [`resume`] acts on.
pub const IN_PROGRESS: &str = "/var/lib/cairn/activation-in-progress";

/// What to do with a built system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Make it the boot default and activate it now.
    Switch,
    /// Make it the boot default only.
    Boot,
    /// Activate it now only.
    Test,
    /// Change nothing; report what activation would do.
    DryActivate,
}

impl Action {
    fn sets_profile(self) -> bool {
        matches!(self, Action::Switch | Action::Boot)
    }
    fn activates(self) -> bool {
        matches!(self, Action::Switch | Action::Test)
    }
}

/// Why a switch failed.
#[derive(Debug, thiserror::Error)]
pub enum ActivateError {
    /// The system could not be read.
    #[error(transparent)]
    Toplevel(#[from] ToplevelError),
    /// The profile could not be changed.
    #[error(transparent)]
    Profile(#[from] cairn_generations::Error),
    /// Accounts could not be written.
    #[error(transparent)]
    Users(#[from] UsersError),
    /// /etc could not be switched.
    #[error(transparent)]
    Etc(#[from] EtcError),
    /// Boot entries could not be written.
    #[error(transparent)]
    Boot(#[from] BootError),
    /// [`resume`] found no unfinished activation.
    #[error("no activation was interrupted")]
    NothingToResume,
    /// There is no generation to roll back to.
    #[error("the system profile has no generation before the current one")]
    NoPrevious,
    /// A directory of the machine could not be made or read.
    #[error("writing or reading {}: {source}", path.display())]
    Create {
        /// The machine path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// What a switch did.
#[derive(Debug, Default, Clone)]
pub struct ActivationReport {
    /// The profile generation now current (switch, boot).
    pub generation: Option<u64>,
    /// The boot entries written.
    pub boot_entries: Vec<u64>,
    /// The accounts' ids (switch, test).
    pub accounts: Option<Accounts>,
    /// What happened to /etc (switch, test).
    pub etc: Option<EtcReport>,
    /// The unit plan from the running system to this one (switch, test,
    /// dry-activate). Under a root other than `/` it is computed but not
    /// carried out: no service runs there.
    pub units: Option<UnitPlan>,
    /// For dry-activate: the /etc files activation would install.
    pub would_install: Vec<PathBuf>,
    /// Things the user should know.
    pub warnings: Vec<String>,
}

/// The machine's system profile.
pub fn system_profile(root: &MachineRoot) -> Result<Profile, ActivateError> {
    let path = root.host_path(Path::new(SYSTEM_PROFILE));
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|source| ActivateError::Create {
            path: PathBuf::from("/nix/var/nix/profiles"),
            source,
        })?;
    }
    Ok(Profile::new(path)?)
}

fn lock(root: &MachineRoot) -> Result<ProfileLock, ActivateError> {
    let dir = root.host_path(Path::new(users::STATE_DIR));
    std::fs::create_dir_all(&dir).map_err(|source| ActivateError::Create {
        path: PathBuf::from(users::STATE_DIR),
        source,
    })?;
    Ok(ProfileLock::acquire(&dir.join("activation"))?)
}

/// How units are controlled on `root`: through systemctl when it is the
/// running system and systemd runs it, not at all otherwise.
pub fn default_control(root: &MachineRoot) -> Box<dyn UnitControl> {
    if root.is_host_root() && Path::new("/run/systemd/system").is_dir() {
        Box::new(Systemctl)
    } else {
        Box::new(NoUnits)
    }
}

/// Applies `action` to the built system at the machine path `toplevel`
/// (a store path in the machine's store).
pub fn apply(
    root: &MachineRoot,
    toplevel: &Path,
    action: Action,
) -> Result<ActivationReport, ActivateError> {
    apply_with(root, toplevel, action, default_control(root).as_mut())
}

/// [`apply`], controlling units through `ctl`.
pub fn apply_with(
    root: &MachineRoot,
    toplevel: &Path,
    action: Action,
    ctl: &mut dyn UnitControl,
) -> Result<ActivationReport, ActivateError> {
    let system = Toplevel::open(root, toplevel)?;
    let _lock = lock(root)?;
    let mut report = ActivationReport::default();
    if action == Action::DryActivate {
        let tree = system.host("etc")?;
        report.would_install = list_files(&tree, Path::new("/etc"));
        report.units = Some(unit_plan(root, &system)?);
        return Ok(report);
    }
    if action.sets_profile() {
        let profile = system_profile(root)?;
        let outcome = profile.set(system.path())?;
        report.generation = Some(outcome.number);
        report.boot_entries = boot::write_entries(root, &profile.generations()?, outcome.number)?;
    }
    if action.activates() {
        activate(root, &system, &mut report, ctl)?;
    }
    Ok(report)
}

/// Switches the profile back one generation and activates it, with its
/// boot entry as the default.
pub fn rollback(root: &MachineRoot) -> Result<ActivationReport, ActivateError> {
    let profile = system_profile(root)?;
    let switch = profile.rollback().map_err(|e| match e {
        cairn_generations::Error::NoOlderGeneration { .. } => ActivateError::NoPrevious,
        other => ActivateError::Profile(other),
    })?;
    let generations = profile.generations()?;
    let target = generations
        .get(switch.to)
        .map(|g| g.target())
        .transpose()?
        .ok_or(ActivateError::NoPrevious)?;
    let system = Toplevel::open(root, &target)?;
    let _lock = lock(root)?;
    let mut report = ActivationReport {
        generation: Some(switch.to),
        ..ActivationReport::default()
    };
    report.boot_entries = boot::write_entries(root, &generations, switch.to)?;
    activate(root, &system, &mut report, default_control(root).as_mut())?;
    Ok(report)
}

/// Finishes an activation that was interrupted (a crash, a power cut):
/// activates again the system it was switching to. Every step of
/// activation gives the same result when repeated, so this completes it.
pub fn resume(root: &MachineRoot) -> Result<ActivationReport, ActivateError> {
    let marker = root.host_path(Path::new(IN_PROGRESS));
    let target = match std::fs::read_to_string(&marker) {
        Ok(text) => PathBuf::from(text.trim()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ActivateError::NothingToResume);
        }
        Err(source) => {
            return Err(ActivateError::Create {
                path: PathBuf::from(IN_PROGRESS),
                source,
            });
        }
    };
    let system = Toplevel::open(root, &target)?;
    let _lock = lock(root)?;
    let mut report = ActivationReport::default();
    activate(root, &system, &mut report, default_control(root).as_mut())?;
    Ok(report)
}

fn activate(
    root: &MachineRoot,
    system: &Toplevel,
    report: &mut ActivationReport,
    ctl: &mut dyn UnitControl,
) -> Result<(), ActivateError> {
    let marker = root.host_path(Path::new(IN_PROGRESS));
    let marker_error = |source| ActivateError::Create {
        path: PathBuf::from(IN_PROGRESS),
        source,
    };
    crate::root::atomic_write(
        &marker,
        format!("{}\n", system.path().display()).as_bytes(),
        0o644,
    )
    .map_err(marker_error)?;
    // The plan compares with the running system, so before the switch.
    let units = unit_plan(root, system)?;
    report.warnings.extend(plan::stop_phase(&units, ctl));
    let accounts = users::write(root, &system.accounts()?)?;
    report.warnings.extend(accounts.warnings.iter().cloned());
    let etc = etc::switch(root, &system.etc()?, &accounts)?;
    report.warnings.extend(etc.warnings.iter().cloned());
    let run = root.host_path(Path::new("/run"));
    std::fs::create_dir_all(&run).map_err(|source| ActivateError::Create {
        path: PathBuf::from("/run"),
        source,
    })?;
    atomic_symlink(system.path(), &run.join("current-system")).map_err(|source| {
        ActivateError::Create {
            path: PathBuf::from("/run/current-system"),
            source,
        }
    })?;
    report.warnings.extend(plan::start_phase(&units, ctl));
    report.units = Some(units);
    report.accounts = Some(accounts);
    report.etc = Some(etc);
    std::fs::remove_file(&marker).map_err(marker_error)?;
    Ok(())
}

/// The plan from the machine's current system (none on a fresh machine)
/// to `system`.
fn unit_plan(root: &MachineRoot, system: &Toplevel) -> Result<UnitPlan, ActivateError> {
    let read = |dir: PathBuf| {
        plan::read_units(&dir).map_err(|source| ActivateError::Create {
            path: dir.clone(),
            source,
        })
    };
    let old = match root.resolve(Path::new("/run/current-system/systemd")) {
        Ok(dir) => read(dir)?,
        Err(_) => Default::default(),
    };
    let new = read(system.host("systemd")?)?;
    Ok(plan::plan(&old, &new))
}

/// The files under `dir` (following nothing), as paths under `prefix`.
fn list_files(dir: &Path, prefix: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let path = entry.path();
        let shown = prefix.join(entry.file_name());
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            out.extend(list_files(&path, &shown));
        } else {
            out.push(shown);
        }
    }
    out
}
