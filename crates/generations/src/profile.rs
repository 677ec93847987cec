//! A profile and its generations: listing, `set`, `switch_to`, `rollback`
//! and `delete`, with Nix's on-disk layout and semantics.

use std::ffi::{OsStr, OsString};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::delete::{self, DeleteSpec, PlanError};
use crate::link::{make_symlink, replace_symlink};
use crate::lock::ProfileLock;
use crate::name::{link_name, parse_link_name};
use crate::{Error, GenerationNumber};

/// A profile: the symlink `<dir>/<name>` pointing (relatively) at
/// `<name>-<N>-link`, which points at a store path.
///
/// `Profile` is only a path; every method reads the disk afresh. Methods that
/// change the profile hold its lock ([`ProfileLock`]) while they work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    path: PathBuf,
    dir: PathBuf,
    name: OsString,
}

/// One generation: a link `<profile>-<N>-link` beside the profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generation {
    /// Its number `N`.
    pub number: GenerationNumber,
    /// The link itself.
    pub path: PathBuf,
    /// When the link was made: its `lstat` mtime, in seconds since the epoch.
    pub created: i64,
}

impl Generation {
    /// The store path the generation link points at.
    pub fn target(&self) -> Result<PathBuf, Error> {
        std::fs::read_link(&self.path).map_err(Error::io("reading symbolic link", &self.path))
    }
}

/// All generations of a profile, and which one is current.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Generations {
    /// The generations, by increasing number.
    pub list: Vec<Generation>,
    /// The generation the profile link points at, if it points at one
    /// (by a relative `<name>-<N>-link` target, as Nix reads it).
    pub current: Option<GenerationNumber>,
}

impl Generations {
    /// The generation numbered `number`.
    pub fn get(&self, number: GenerationNumber) -> Option<&Generation> {
        self.list.iter().find(|g| g.number == number)
    }

    /// The current generation, if there is one and its link exists.
    pub fn current(&self) -> Option<&Generation> {
        self.current.and_then(|n| self.get(n))
    }

    /// The highest-numbered generation.
    pub fn last(&self) -> Option<&Generation> {
        self.list.last()
    }
}

/// What [`Profile::set`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetOutcome {
    /// The generation the profile now points at.
    pub number: GenerationNumber,
    /// Whether a new generation link was made. `false` when the
    /// highest-numbered generation already pointed at the target (Nix reuses
    /// it rather than piling up identical generations).
    pub created: bool,
}

/// A switch from one generation to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Switch {
    /// The generation current before, if any.
    pub from: Option<GenerationNumber>,
    /// The generation current now.
    pub to: GenerationNumber,
}

impl Profile {
    /// A profile at `path` (e.g. `/nix/var/nix/profiles/system`). Nothing is
    /// read or created; the directory must exist by the first operation.
    ///
    /// Fails if `path` has no file name (`/`, `..`, or empty).
    pub fn new(path: impl Into<PathBuf>) -> Result<Profile, Error> {
        let path = path.into();
        let name = match path.file_name() {
            Some(name) => name.to_owned(),
            None => return Err(Error::BadProfilePath { path }),
        };
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        Ok(Profile { path, dir, name })
    }

    /// The profile symlink.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The directory holding the profile and its generation links.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The profile's file name, the prefix of its generation links.
    pub fn name(&self) -> &OsStr {
        &self.name
    }

    /// Where generation `number`'s link lives: `<profile>-<number>-link`.
    pub fn generation_path(&self, number: GenerationNumber) -> PathBuf {
        self.dir.join(link_name(&self.name, number))
    }

    /// Takes the profile's lock, waiting for other holders (cairn or Nix).
    pub fn lock(&self) -> Result<ProfileLock, Error> {
        ProfileLock::acquire(&self.path)
    }

    /// Reads the generations and the current one (Nix's `findGenerations`).
    ///
    /// Fails if the profile's directory does not exist, as Nix does.
    pub fn generations(&self) -> Result<Generations, Error> {
        let read_dir =
            std::fs::read_dir(&self.dir).map_err(Error::io("opening directory", &self.dir))?;
        let mut list = Vec::new();
        for entry in read_dir {
            let entry = entry.map_err(Error::io("reading directory", &self.dir))?;
            let file_name = entry.file_name();
            let Some(number) = parse_link_name(&self.name, &file_name) else {
                continue;
            };
            let path = entry.path();
            let meta = std::fs::symlink_metadata(&path).map_err(Error::io("statting", &path))?;
            list.push(Generation {
                number,
                path,
                created: meta.mtime(),
            });
        }
        list.sort_by_key(|g| g.number);
        let current = match std::fs::read_link(&self.path) {
            Ok(target) => parse_link_name(&self.name, target.as_os_str()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(Error::io("reading symbolic link", &self.path)(e)),
        };
        Ok(Generations { list, current })
    }

    /// Makes `store_path` the profile's content (`nix-env --set`).
    ///
    /// If the highest-numbered generation already points at `store_path`
    /// (textually), the profile is switched to it; otherwise generation
    /// `highest + 1` is created and switched to. Like Nix, this compares
    /// with the *highest* generation, not the current one: after a rollback,
    /// setting the rolled-back-from path switches forward again.
    ///
    /// `store_path` must be absolute; that it is a valid store path is the
    /// caller's business (Nix builds or substitutes it first).
    pub fn set(&self, store_path: &Path) -> Result<SetOutcome, Error> {
        if !store_path.is_absolute() {
            return Err(Error::RelativeTarget {
                path: store_path.to_path_buf(),
            });
        }
        let _lock = self.lock()?;
        self.set_holding_lock(store_path)
    }

    /// [`Profile::set`] for a caller that holds the profile's lock already
    /// (the lock is not re-entrant: taking it twice would wait for ever).
    pub(crate) fn set_holding_lock(&self, store_path: &Path) -> Result<SetOutcome, Error> {
        let gens = self.generations()?;
        let (outcome, link) = match gens.last() {
            Some(last) if last.target()?.as_os_str() == store_path.as_os_str() => (
                SetOutcome {
                    number: last.number,
                    created: false,
                },
                last.path.clone(),
            ),
            last => {
                let number = match last {
                    None => 1,
                    Some(g) => g
                        .number
                        .checked_add(1)
                        .filter(|&n| u32::try_from(n).is_ok())
                        .ok_or_else(|| Error::NumbersExhausted {
                            profile: self.path.clone(),
                        })?,
                };
                let link = self.generation_path(number);
                make_symlink(store_path, &link)?;
                (
                    SetOutcome {
                        number,
                        created: true,
                    },
                    link,
                )
            }
        };
        self.point_at(&link)?;
        Ok(outcome)
    }

    /// Switches to generation `number` (`nix-env --switch-generation`).
    pub fn switch_to(&self, number: GenerationNumber) -> Result<Switch, Error> {
        let _lock = self.lock()?;
        let gens = self.generations()?;
        let Some(generation) = gens.get(number) else {
            return Err(Error::NoSuchGeneration {
                profile: self.path.clone(),
                number,
            });
        };
        self.point_at(&generation.path)?;
        Ok(Switch {
            from: gens.current,
            to: number,
        })
    }

    /// Switches to the highest-numbered generation below the current one
    /// (`nix-env --rollback`).
    pub fn rollback(&self) -> Result<Switch, Error> {
        let _lock = self.lock()?;
        let gens = self.generations()?;
        let target = gens
            .current
            .and_then(|current| gens.list.iter().rev().find(|g| g.number < current));
        let Some(to) = target else {
            return Err(Error::NoOlderGeneration {
                profile: self.path.clone(),
                current: gens.current.unwrap_or(0),
            });
        };
        self.point_at(&to.path)?;
        Ok(Switch {
            from: gens.current,
            to: to.number,
        })
    }

    /// Deletes the generation links `spec` selects, as of now, and returns
    /// their numbers, lowest first. Never deletes the current generation.
    pub fn delete(&self, spec: &DeleteSpec) -> Result<Vec<GenerationNumber>, Error> {
        self.delete_at(spec, now())
    }

    /// [`Profile::delete`] with "now" given, in seconds since the epoch
    /// (only `Nd` uses it).
    pub fn delete_at(&self, spec: &DeleteSpec, now: i64) -> Result<Vec<GenerationNumber>, Error> {
        let _lock = self.lock()?;
        let gens = self.generations()?;
        let doomed = self.plan(&gens, spec, now)?;
        for &number in &doomed {
            if let Some(g) = gens.get(number) {
                std::fs::remove_file(&g.path).map_err(Error::io("cannot remove", &g.path))?;
            }
        }
        Ok(doomed)
    }

    /// What [`Profile::delete_at`] would delete, without deleting
    /// (`--dry-run`).
    pub fn plan_delete(&self, spec: &DeleteSpec, now: i64) -> Result<Vec<GenerationNumber>, Error> {
        let gens = self.generations()?;
        self.plan(&gens, spec, now)
    }

    fn plan(
        &self,
        gens: &Generations,
        spec: &DeleteSpec,
        now: i64,
    ) -> Result<Vec<GenerationNumber>, Error> {
        delete::plan(gens, spec, now).map_err(|e| match e {
            PlanError::DeletesCurrent => Error::DeleteCurrent {
                profile: self.path.clone(),
            },
        })
    }

    /// Points the profile link at the generation link `link` (a sibling,
    /// so the target is its bare file name, as Nix's `switchLink`),
    /// atomically.
    fn point_at(&self, link: &Path) -> Result<(), Error> {
        let name = link.file_name().ok_or_else(|| Error::BadProfilePath {
            path: link.to_path_buf(),
        })?;
        replace_symlink(Path::new(name), &self.path)
    }
}

/// Seconds since the epoch.
pub(crate) fn now() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixture {
        _dir: tempfile::TempDir,
        profile: Profile,
    }

    fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let profile = Profile::new(dir.path().join("prof")).unwrap();
        Fixture { _dir: dir, profile }
    }

    fn entries(p: &Profile) -> Vec<(String, String)> {
        let mut v: Vec<_> = std::fs::read_dir(p.dir())
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let target = std::fs::read_link(e.path()).unwrap();
                (
                    e.file_name().to_string_lossy().into_owned(),
                    target.to_string_lossy().into_owned(),
                )
            })
            .collect();
        v.sort();
        v
    }

    const A: &str = "/nix/store/y9xsr1hg3kf7xbva2dgqpagj6x6555a3-a";
    const B: &str = "/nix/store/ksndzbhi1maykqax5lj5q2wzn5in9gk8-b";

    #[test]
    fn set_creates_relative_profile_link_and_absolute_generation_links() {
        let f = fixture();
        let p = &f.profile;
        assert_eq!(
            p.set(Path::new(A)).unwrap(),
            SetOutcome {
                number: 1,
                created: true
            }
        );
        assert_eq!(
            p.set(Path::new(B)).unwrap(),
            SetOutcome {
                number: 2,
                created: true
            }
        );
        assert_eq!(
            entries(p),
            [
                ("prof".into(), "prof-2-link".into()),
                ("prof-1-link".into(), A.into()),
                ("prof-2-link".into(), B.into()),
            ]
        );
        let gens = p.generations().unwrap();
        assert_eq!(gens.current, Some(2));
        assert_eq!(
            gens.list.iter().map(|g| g.number).collect::<Vec<_>>(),
            [1, 2]
        );
        assert_eq!(gens.current().unwrap().target().unwrap(), Path::new(B));
    }

    #[test]
    fn set_reuses_the_highest_generation_when_it_matches() {
        let f = fixture();
        let p = &f.profile;
        p.set(Path::new(A)).unwrap();
        assert_eq!(
            p.set(Path::new(A)).unwrap(),
            SetOutcome {
                number: 1,
                created: false
            }
        );
        p.set(Path::new(B)).unwrap();
        p.rollback().unwrap();
        // The highest generation (2) points at B: switch forward, no new link.
        assert_eq!(
            p.set(Path::new(B)).unwrap(),
            SetOutcome {
                number: 2,
                created: false
            }
        );
        p.rollback().unwrap();
        // The current generation (1) points at A, but the highest does not.
        assert_eq!(
            p.set(Path::new(A)).unwrap(),
            SetOutcome {
                number: 3,
                created: true
            }
        );
    }

    #[test]
    fn set_refuses_relative_targets_and_missing_directories() {
        let f = fixture();
        assert!(matches!(
            f.profile.set(Path::new("nix/store/x")),
            Err(Error::RelativeTarget { .. })
        ));
        let missing = Profile::new(f.profile.dir().join("no/such/prof")).unwrap();
        let err = missing.set(Path::new(A)).unwrap_err();
        assert!(err.to_string().starts_with("opening lock file"), "{err}");
    }

    #[test]
    fn switch_and_rollback() {
        let f = fixture();
        let p = &f.profile;
        assert_eq!(
            p.rollback().unwrap_err().to_string(),
            format!(
                "no profile version older than the current (0) exists (profile '{}')",
                p.path().display()
            )
        );
        for t in [A, B, A] {
            p.set(Path::new(t)).unwrap();
        }
        assert_eq!(
            p.switch_to(1).unwrap(),
            Switch {
                from: Some(3),
                to: 1
            }
        );
        assert!(matches!(
            p.rollback(),
            Err(Error::NoOlderGeneration { current: 1, .. })
        ));
        assert!(matches!(
            p.switch_to(7),
            Err(Error::NoSuchGeneration { number: 7, .. })
        ));
        p.switch_to(3).unwrap();
        std::fs::remove_file(p.generation_path(2)).unwrap();
        // Rollback skips the missing number.
        assert_eq!(
            p.rollback().unwrap(),
            Switch {
                from: Some(3),
                to: 1
            }
        );
    }

    #[test]
    fn delete_never_removes_the_current_generation() {
        let f = fixture();
        let p = &f.profile;
        for t in [A, B, A, B] {
            p.set(Path::new(t)).unwrap();
        }
        p.switch_to(2).unwrap();
        let spec = DeleteSpec::parse(&["2", "3"]).unwrap();
        assert!(matches!(p.delete(&spec), Err(Error::DeleteCurrent { .. })));
        assert_eq!(p.generations().unwrap().list.len(), 4);
        assert_eq!(p.plan_delete(&DeleteSpec::Old, now()).unwrap(), [1, 3, 4]);
        assert_eq!(p.generations().unwrap().list.len(), 4);
        assert_eq!(p.delete(&DeleteSpec::Old).unwrap(), [1, 3, 4]);
        assert_eq!(
            entries(p),
            [
                ("prof".into(), "prof-2-link".into()),
                ("prof-2-link".into(), B.into()),
            ]
        );
        // New generations continue from the highest remaining number.
        assert_eq!(p.set(Path::new(A)).unwrap().number, 3);
    }

    #[test]
    fn profile_paths() {
        let p = Profile::new("/nix/var/nix/profiles/system").unwrap();
        assert_eq!(
            p.generation_path(42),
            Path::new("/nix/var/nix/profiles/system-42-link")
        );
        assert_eq!(p.name(), "system");
        assert_eq!(Profile::new("prof").unwrap().dir(), Path::new("."));
        assert!(Profile::new("/").is_err());
        assert!(Profile::new("..").is_err());
    }

    #[test]
    fn absolute_profile_link_has_no_current_generation() {
        // Nix only recognises the relative `<name>-<N>-link` form.
        let f = fixture();
        let p = &f.profile;
        p.set(Path::new(A)).unwrap();
        std::fs::remove_file(p.path()).unwrap();
        std::os::unix::fs::symlink(p.generation_path(1), p.path()).unwrap();
        assert_eq!(p.generations().unwrap().current, None);
    }
}
