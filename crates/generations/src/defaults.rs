//! Where profiles live by default, and removing old generations of every
//! profile there (`nix-collect-garbage -d`).

use std::ffi::{CStr, OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use crate::{DeleteSpec, Error, GenerationNumber, Profile};

/// `ROOT/nix/var/nix/profiles`: the profiles directory of the store under
/// `root`. Every link in it is a GC root.
pub fn profiles_dir(root: &Path) -> PathBuf {
    root.join("nix/var/nix/profiles")
}

/// The profile `nix-env` uses when given no `-p`, for the store under
/// `root`: `profiles/default` for root (uid 0), otherwise
/// `profiles/per-user/<user>/profile`, whose directory is created (as Nix's
/// `createUser` does).
///
/// For the real store (`root` is `/`), a `~/.nix-profile` symlink is
/// followed, as Nix 2.8's `getDefaultProfile` does; unlike Nix, cairn does
/// not create that link when it is missing.
pub fn default_profile(root: &Path) -> Result<PathBuf, Error> {
    if root == Path::new("/")
        && let Some(home) = std::env::var_os("HOME")
    {
        let link = Path::new(&home).join(".nix-profile");
        if let Ok(target) = std::fs::read_link(&link) {
            return Ok(Path::new(&home).join(target));
        }
    }
    // SAFETY: getuid and geteuid cannot fail and touch no memory.
    let (uid, euid) = unsafe { (libc::getuid(), libc::geteuid()) };
    if uid == 0 {
        return Ok(profiles_dir(root).join("default"));
    }
    let user = user_name(euid).ok_or(Error::UnknownUser { uid: euid })?;
    let dir = profiles_dir(root).join("per-user").join(user);
    std::fs::create_dir_all(&dir).map_err(Error::io("creating directory", &dir))?;
    Ok(dir.join("profile"))
}

/// The login name of `uid`, as Nix's `getUserName`: the `passwd` entry,
/// else `$USER`.
fn user_name(uid: libc::uid_t) -> Option<OsString> {
    let mut buffer = vec![0_u8; 16 * 1024];
    // SAFETY: a zeroed passwd is a valid value of this plain C struct.
    let mut entry: libc::passwd = unsafe { std::mem::zeroed() };
    let mut found: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the call; `buffer` outlives the
    // strings `entry` points into, which are copied before it is dropped.
    let status = unsafe {
        libc::getpwuid_r(
            uid,
            &mut entry,
            buffer.as_mut_ptr().cast(),
            buffer.len(),
            &mut found,
        )
    };
    if status == 0 && !found.is_null() && !entry.pw_name.is_null() {
        // SAFETY: getpwuid_r succeeded, so pw_name is a NUL-terminated
        // string inside `buffer`.
        let name = unsafe { CStr::from_ptr(entry.pw_name) };
        if !name.is_empty() {
            return Some(OsString::from_vec(name.to_bytes().to_vec()));
        }
    }
    std::env::var_os("USER").filter(|u| !u.is_empty())
}

/// The generations removed (or, in a dry run, that would be) from one
/// profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removed {
    /// The profile.
    pub profile: PathBuf,
    /// The generation numbers, lowest first.
    pub generations: Vec<GenerationNumber>,
}

/// Deletes the generations `spec` selects (as of `now`, seconds since the
/// epoch) from every profile under `dir`, recursively, as
/// `nix-collect-garbage -d` / `--delete-older-than` do with the profiles
/// directory: a symlink whose target contains `link` is a profile;
/// subdirectories (`per-user/…`) are searched, symlinks to directories are
/// not followed. A missing `dir` has no profiles.
pub fn remove_old_generations(
    dir: &Path,
    spec: &DeleteSpec,
    now: i64,
    dry_run: bool,
) -> Result<Vec<Removed>, Error> {
    let mut removed = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(removed),
        Err(e) => return Err(Error::io("opening directory", dir)(e)),
    };
    let mut names: Vec<OsString> = Vec::new();
    for entry in entries {
        names.push(
            entry
                .map_err(Error::io("reading directory", dir))?
                .file_name(),
        );
    }
    names.sort();
    for name in names {
        let path = dir.join(&name);
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::io("statting", &path)(e)),
        };
        if meta.is_dir() {
            removed.extend(remove_old_generations(&path, spec, now, dry_run)?);
        } else if meta.file_type().is_symlink() {
            let target = match std::fs::read_link(&path) {
                Ok(target) => target,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(Error::io("reading symbolic link", &path)(e)),
            };
            if !contains(target.as_os_str(), b"link") {
                continue;
            }
            let profile = Profile::new(&path)?;
            let generations = if dry_run {
                profile.plan_delete(spec, now)?
            } else {
                profile.delete_at(spec, now)?
            };
            removed.push(Removed {
                profile: path,
                generations,
            });
        }
    }
    Ok(removed)
}

fn contains(haystack: &OsStr, needle: &[u8]) -> bool {
    haystack
        .as_bytes()
        .windows(needle.len())
        .any(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    const A: &str = "/nix/store/y9xsr1hg3kf7xbva2dgqpagj6x6555a3-a";
    const B: &str = "/nix/store/ksndzbhi1maykqax5lj5q2wzn5in9gk8-b";

    #[test]
    fn old_generations_go_from_every_profile_below_the_directory() {
        let root = tempfile::tempdir().unwrap();
        let dir = profiles_dir(root.path());
        let user_dir = dir.join("per-user/alice");
        std::fs::create_dir_all(&user_dir).unwrap();
        let system = Profile::new(dir.join("system")).unwrap();
        let user = Profile::new(user_dir.join("profile")).unwrap();
        for target in [A, B, A] {
            system.set(Path::new(target)).unwrap();
            user.set(Path::new(target)).unwrap();
        }
        user.switch_to(2).unwrap();
        // Not profiles: a link to a store path, a link to a directory.
        symlink(A, dir.join("plain")).unwrap();
        symlink(&user_dir, dir.join("to-dir")).unwrap();

        let planned = remove_old_generations(&dir, &DeleteSpec::Old, 0, true).unwrap();
        assert_eq!(
            planned,
            [
                Removed {
                    profile: user.path().to_path_buf(),
                    generations: vec![1, 3]
                },
                Removed {
                    profile: system.path().to_path_buf(),
                    generations: vec![1, 2]
                },
            ]
        );
        assert_eq!(system.generations().unwrap().list.len(), 3);
        assert_eq!(
            remove_old_generations(&dir, &DeleteSpec::Old, 0, false).unwrap(),
            planned
        );
        assert_eq!(user.generations().unwrap().list.len(), 1);
        assert_eq!(system.generations().unwrap().current, Some(3));
        assert_eq!(system.generations().unwrap().list.len(), 1);
        assert!(
            remove_old_generations(&root.path().join("none"), &DeleteSpec::Old, 0, false)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn default_profile_is_per_user_unless_root() {
        let root = tempfile::tempdir().unwrap();
        let profile = default_profile(root.path()).unwrap();
        // SAFETY: getuid cannot fail.
        if unsafe { libc::getuid() } == 0 {
            assert_eq!(profile, profiles_dir(root.path()).join("default"));
        } else {
            assert!(profile.ends_with("profile"));
            assert!(profile.parent().unwrap().is_dir());
            assert!(profile.starts_with(profiles_dir(root.path()).join("per-user")));
        }
    }
}
