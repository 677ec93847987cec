//! Writing the declared users and groups to /etc/passwd, /etc/group and
//! /etc/shadow, as NixOS's `update-users-groups` does with
//! `users.mutableUsers = false`: the files hold exactly the declared
//! accounts, and ids stay stable across generations (see [`crate::ids`];
//! the memory of ids lives in `/var/lib/cairn/{uid,gid}-map.json`).
//! Home directories are created when asked for, and never deleted.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use crate::ids::{self, IdError, IdPool, IdRequest};
use crate::root::{MachineRoot, atomic_write};
use crate::toplevel::AccountsSpec;

/// Where activation keeps what it must remember between generations.
pub const STATE_DIR: &str = "/var/lib/cairn";

/// Why the account files could not be written.
#[derive(Debug, thiserror::Error)]
pub enum UsersError {
    /// Ids could not be allocated.
    #[error(transparent)]
    Ids(#[from] IdError),
    /// A user's primary group is not declared.
    #[error("user `{user}` has primary group `{group}`, which is not declared")]
    UnknownGroup {
        /// The user.
        user: String,
        /// The group.
        group: String,
    },
    /// A file could not be read or written.
    #[error("{action} {}", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// The machine path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The id memory is not valid JSON.
    #[error("{} is not a valid id map", path.display())]
    IdMap {
        /// The machine path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
}

fn io_err(action: &'static str, path: &str) -> impl FnOnce(io::Error) -> UsersError {
    let path = PathBuf::from(path);
    move |source| UsersError::Io {
        action,
        path,
        source,
    }
}

/// The ids given to the accounts.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Accounts {
    /// Each user's uid.
    pub uids: BTreeMap<String, u32>,
    /// Each group's gid.
    pub gids: BTreeMap<String, u32>,
    /// Declared ids that were not applied.
    pub warnings: Vec<String>,
}

impl crate::etc::Owners for Accounts {
    fn uid(&self, name: &str) -> Option<u32> {
        self.uids.get(name).copied()
    }
    fn gid(&self, name: &str) -> Option<u32> {
        self.gids.get(name).copied()
    }
}

/// Writes passwd, group and shadow for `spec` into the machine at `root`.
pub fn write(root: &MachineRoot, spec: &AccountsSpec) -> Result<Accounts, UsersError> {
    let host = |p: &str| root.host_path(Path::new(p));
    std::fs::create_dir_all(host("/etc")).map_err(io_err("creating", "/etc"))?;
    let state = host(STATE_DIR);
    std::fs::create_dir_all(&state).map_err(io_err("creating", STATE_DIR))?;

    let passwd = read_table(&host("/etc/passwd"));
    let group = read_table(&host("/etc/group"));
    let shadow = read_table(&host("/etc/shadow"));
    let current = |table: &[Vec<String>]| -> BTreeMap<String, u32> {
        table
            .iter()
            .filter_map(|f| Some((f.first()?.clone(), f.get(2)?.parse().ok()?)))
            .collect()
    };
    let uid_map_path = format!("{STATE_DIR}/uid-map.json");
    let gid_map_path = format!("{STATE_DIR}/gid-map.json");

    let group_requests: Vec<IdRequest> = spec
        .groups
        .iter()
        .map(|g| IdRequest {
            name: g.name.clone(),
            id: g.gid,
            pool: IdPool::SYSTEM,
        })
        .collect();
    let groups = ids::allocate(
        &group_requests,
        &current(&group),
        &read_map(root, &gid_map_path)?,
    )?;
    let user_requests: Vec<IdRequest> = spec
        .users
        .iter()
        .map(|u| IdRequest {
            name: u.name.clone(),
            id: u.uid,
            pool: if u.is_normal_user {
                IdPool::NORMAL_USERS
            } else {
                IdPool::SYSTEM
            },
        })
        .collect();
    let users = ids::allocate(
        &user_requests,
        &current(&passwd),
        &read_map(root, &uid_map_path)?,
    )?;

    let old_hash: BTreeMap<&str, &str> = shadow
        .iter()
        .filter_map(|f| Some((f.first()?.as_str(), f.get(1)?.as_str())))
        .collect();
    let mut passwd_rows = Vec::new();
    let mut shadow_rows = Vec::new();
    for user in &spec.users {
        let uid = users.ids[&user.name];
        let gid = *groups
            .ids
            .get(&user.group)
            .ok_or_else(|| UsersError::UnknownGroup {
                user: user.name.clone(),
                group: user.group.clone(),
            })?;
        passwd_rows.push((
            uid,
            format!(
                "{}:x:{uid}:{gid}:{}:{}:{}\n",
                user.name, user.description, user.home, user.shell
            ),
        ));
        // A declared hash wins; otherwise an existing account keeps its
        // password, and a new one gets the initial hash or none ("!").
        let hash = user
            .hashed_password
            .as_deref()
            .or_else(|| old_hash.get(user.name.as_str()).copied())
            .or(user.initial_hashed_password.as_deref())
            .unwrap_or("!");
        shadow_rows.push((uid, format!("{}:{hash}:1::::::\n", user.name)));
        if user.create_home {
            create_home(root, &user.home, &user.home_mode, uid, gid)?;
        }
    }
    let mut group_rows: Vec<(u32, String)> = spec
        .groups
        .iter()
        .map(|g| {
            let gid = groups.ids[&g.name];
            (gid, format!("{}:x:{gid}:{}\n", g.name, g.members.join(",")))
        })
        .collect();
    passwd_rows.sort();
    shadow_rows.sort();
    group_rows.sort();
    let joined = |rows: Vec<(u32, String)>| rows.into_iter().map(|(_, r)| r).collect::<String>();
    atomic_write(&host("/etc/group"), joined(group_rows).as_bytes(), 0o644)
        .map_err(io_err("writing", "/etc/group"))?;
    atomic_write(&host("/etc/passwd"), joined(passwd_rows).as_bytes(), 0o644)
        .map_err(io_err("writing", "/etc/passwd"))?;
    atomic_write(&host("/etc/shadow"), joined(shadow_rows).as_bytes(), 0o600)
        .map_err(io_err("writing", "/etc/shadow"))?;
    write_map(root, &uid_map_path, &users.remembered)?;
    write_map(root, &gid_map_path, &groups.remembered)?;

    let mut warnings = groups.warnings;
    warnings.extend(users.warnings);
    Ok(Accounts {
        uids: users.ids,
        gids: groups.ids,
        warnings,
    })
}

/// The colon-separated rows of a passwd-style file (none if missing).
fn read_table(path: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| l.split(':').map(str::to_owned).collect())
        .collect()
}

fn read_map(root: &MachineRoot, path: &str) -> Result<BTreeMap<String, u32>, UsersError> {
    match std::fs::read(root.host_path(Path::new(path))) {
        Ok(text) => serde_json::from_slice(&text).map_err(|source| UsersError::IdMap {
            path: PathBuf::from(path),
            source,
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(e) => Err(io_err("reading", path)(e)),
    }
}

fn write_map(
    root: &MachineRoot,
    path: &str,
    map: &BTreeMap<String, u32>,
) -> Result<(), UsersError> {
    let mut text = serde_json::to_vec_pretty(map).map_err(|source| UsersError::IdMap {
        path: PathBuf::from(path),
        source,
    })?;
    text.push(b'\n');
    atomic_write(&root.host_path(Path::new(path)), &text, 0o644).map_err(io_err("writing", path))
}

fn create_home(
    root: &MachineRoot,
    home: &str,
    mode: &str,
    uid: u32,
    gid: u32,
) -> Result<(), UsersError> {
    use std::os::unix::fs::PermissionsExt;
    let host = root.host_path(Path::new(home));
    if host.exists() {
        return Ok(());
    }
    std::fs::create_dir_all(&host).map_err(io_err("creating", home))?;
    let mode = u32::from_str_radix(mode, 8).unwrap_or(0o700);
    std::fs::set_permissions(&host, std::fs::Permissions::from_mode(mode))
        .map_err(io_err("setting the mode of", home))?;
    std::os::unix::fs::chown(&host, Some(uid), Some(gid))
        .map_err(io_err("changing the owner of", home))
}
