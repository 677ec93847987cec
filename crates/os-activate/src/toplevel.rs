//! Reading a built system toplevel (`config.system.build.toplevel`).
//!
//! The toplevel is laid out as NixOS lays it out — `etc`, `sw`, `systemd`,
//! `activate`, `init-interface-version` — plus `users-groups.json` (the
//! declared accounts) and `units.json` (the units and their targets),
//! written by `nix/modules` for this crate.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::root::MachineRoot;

/// Why a toplevel could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ToplevelError {
    /// A file of the toplevel is missing or unreadable.
    #[error("reading {path} of the system {toplevel}")]
    Read {
        /// The toplevel.
        toplevel: PathBuf,
        /// The file in it.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// `users-groups.json` does not describe accounts.
    #[error("{path} is not a valid account description")]
    Json {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// The path is not a system toplevel.
    #[error("{0} is not a cairn system (no init-interface-version)")]
    NotASystem(PathBuf),
}

/// One declared user, as `users.users.<name>` gives it.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct UserSpec {
    /// Login name.
    pub name: String,
    /// Declared uid, if any.
    pub uid: Option<u32>,
    /// A person's account (uid from 1000).
    #[serde(default)]
    pub is_normal_user: bool,
    /// A service's account (uid below 1000).
    #[serde(default)]
    pub is_system_user: bool,
    /// Primary group's name.
    pub group: String,
    /// The GECOS field.
    #[serde(default)]
    pub description: String,
    /// Home directory.
    pub home: String,
    /// Whether activation creates the home directory.
    #[serde(default)]
    pub create_home: bool,
    /// Octal mode of a created home.
    #[serde(default = "default_home_mode")]
    pub home_mode: String,
    /// Login shell.
    pub shell: String,
    /// crypt(3) hash for /etc/shadow (None: locked).
    #[serde(default)]
    pub hashed_password: Option<String>,
    /// Hash set when the account is created.
    #[serde(default)]
    pub initial_hashed_password: Option<String>,
}

fn default_home_mode() -> String {
    "700".to_owned()
}

/// One declared group, as `users.groups.<name>` gives it.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct GroupSpec {
    /// Group name.
    pub name: String,
    /// Declared gid, if any.
    pub gid: Option<u32>,
    /// Member user names (declared members and users naming the group).
    #[serde(default)]
    pub members: Vec<String>,
}

/// The accounts a system declares.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct AccountsSpec {
    /// Users.
    pub users: Vec<UserSpec>,
    /// Groups.
    pub groups: Vec<GroupSpec>,
}

/// A built system, seen from inside the machine that holds it.
#[derive(Clone, Debug)]
pub struct Toplevel {
    root: MachineRoot,
    path: PathBuf,
}

impl Toplevel {
    /// Opens the toplevel at the machine path `path` (a store path, or a
    /// link to one such as a profile generation).
    pub fn open(root: &MachineRoot, path: &Path) -> Result<Toplevel, ToplevelError> {
        let host = root.resolve(path).map_err(|source| ToplevelError::Read {
            toplevel: path.to_owned(),
            path: path.to_owned(),
            source,
        })?;
        let machine_path = Path::new("/").join(host.strip_prefix(root.dir()).unwrap_or(&host));
        if !host.join("init-interface-version").exists() {
            return Err(ToplevelError::NotASystem(path.to_owned()));
        }
        Ok(Toplevel {
            root: root.clone(),
            path: machine_path,
        })
    }

    /// The toplevel's store path, as the machine sees it.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where a member of the toplevel is on the host, following links.
    pub fn host(&self, member: &str) -> Result<PathBuf, ToplevelError> {
        self.root
            .resolve(&self.path.join(member))
            .map_err(|source| self.read_error(member, source))
    }

    /// The machine path of the `etc` tree (what `/etc/static` points to).
    pub fn etc(&self) -> Result<PathBuf, ToplevelError> {
        let link = self.root.host_path(&self.path.join("etc"));
        std::fs::read_link(&link).map_err(|source| self.read_error("etc", source))
    }

    /// The declared users and groups.
    pub fn accounts(&self) -> Result<AccountsSpec, ToplevelError> {
        let path = self.host("users-groups.json")?;
        let text =
            std::fs::read(&path).map_err(|source| self.read_error("users-groups.json", source))?;
        serde_json::from_slice(&text).map_err(|source| ToplevelError::Json { path, source })
    }

    /// The kernel command line parameters.
    pub fn kernel_params(&self) -> Result<String, ToplevelError> {
        let path = self.host("kernel-params")?;
        std::fs::read_to_string(path)
            .map(|s| s.trim().to_owned())
            .map_err(|source| self.read_error("kernel-params", source))
    }

    /// The system's version label.
    pub fn version(&self) -> String {
        self.host("cairn-version")
            .ok()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .unwrap_or_default()
    }

    fn read_error(&self, member: &str, source: std::io::Error) -> ToplevelError {
        ToplevelError::Read {
            toplevel: self.path.clone(),
            path: PathBuf::from(member),
            source,
        }
    }
}
