//! Differential tests: the same operations applied by `nix-env` and by
//! cairn must leave the same links and produce the same outcomes.
//!
//! Each scenario runs on four profiles in one chroot store: one driven only
//! by `nix-env`, one only by cairn, and two where the tools take turns
//! (starting with either), so each tool also operates on profiles the other
//! one made. After every step all four directories must hold the same links
//! with the same targets, and every tool must agree on success or failure
//! (and on the error message). At the end, `--list-generations` output is
//! compared byte for byte, in both directions.

// Helpers outside `#[test]` functions are test code too: a panic is a failure.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cairn_generations::{DeleteSpec, Profile, ProfileLock, format_listing};
use cairn_testkit::Oracle;

const DAY: i64 = 24 * 3600;

/// One step of a scenario, in `nix-env` terms.
#[derive(Debug, Clone, Copy)]
enum Op {
    /// `--set` the `i`th fixture store path.
    Set(usize),
    /// `--switch-generation N`.
    Switch(u64),
    /// `--rollback`.
    Rollback,
    /// `--delete-generations ARGS…`.
    Delete(&'static [&'static str]),
    /// Set generation `N`'s link mtime to `days` days before the test began.
    Age(u64, i64),
    /// Make a link with this odd name to the `i`th store path, by hand.
    Link(&'static str, usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tool {
    Nix,
    Cairn,
}

/// Which tool performs step `i` on a profile.
type Turns = fn(usize) -> Tool;

struct World {
    oracle: Oracle,
    _tmp: tempfile::TempDir,
    store_root: PathBuf,
    store_paths: Vec<PathBuf>,
    started: i64,
    /// (profile, which tool performs step `i`)
    profiles: Vec<(Profile, Turns)>,
}

impl World {
    fn new(oracle: Oracle) -> World {
        let tmp = tempfile::tempdir().unwrap();
        let store_root = tmp.path().join("root");
        let mut store_paths = Vec::new();
        for name in ["a", "b", "c", "d", "e"] {
            let file = tmp.path().join(name);
            std::fs::write(&file, format!("content {name}\n")).unwrap();
            let out = oracle.run_ok(
                oracle
                    .command("nix-store")
                    .arg("--store")
                    .arg(&store_root)
                    .arg("--add")
                    .arg(&file),
            );
            let path = String::from_utf8(out).unwrap();
            store_paths.push(PathBuf::from(path.trim()));
        }
        let strategies: [(&str, Turns); 4] = [
            ("nix", |_| Tool::Nix),
            ("cairn", |_| Tool::Cairn),
            ("nix-first", |i| {
                if i % 2 == 0 { Tool::Nix } else { Tool::Cairn }
            }),
            ("cairn-first", |i| {
                if i % 2 == 0 { Tool::Cairn } else { Tool::Nix }
            }),
        ];
        let profiles = strategies
            .into_iter()
            .map(|(dir, who)| {
                let dir = tmp.path().join(dir);
                std::fs::create_dir(&dir).unwrap();
                (Profile::new(dir.join("prof")).unwrap(), who)
            })
            .collect();
        World {
            oracle,
            _tmp: tmp,
            store_root,
            store_paths,
            started: unix_now(),
            profiles,
        }
    }

    fn nix_env(&self, profile: &Profile) -> Command {
        let mut c = self.oracle.command("nix-env");
        c.arg("--store")
            .arg(&self.store_root)
            .arg("-p")
            .arg(profile.path());
        c
    }

    /// Runs `ops` on every profile, checking agreement after each step.
    fn run(&self, ops: &[Op]) {
        for (i, op) in ops.iter().enumerate() {
            let outcomes: Vec<(Tool, Result<(), String>)> = self
                .profiles
                .iter()
                .map(|(profile, who)| {
                    let tool = who(i);
                    let outcome = match tool {
                        Tool::Nix => self.apply_nix(profile, *op),
                        Tool::Cairn => self.apply_cairn(profile, *op),
                    };
                    (tool, outcome.map_err(|e| normalize(&e, profile)))
                })
                .collect();
            let reference = &outcomes[0].1;
            for (tool, outcome) in &outcomes {
                assert_eq!(
                    outcome, reference,
                    "step {i} {op:?}: {tool:?} disagrees with nix-env"
                );
            }
            let state = links(self.profiles[0].0.dir());
            for (profile, _) in &self.profiles[1..] {
                assert_eq!(
                    links(profile.dir()),
                    state,
                    "step {i} {op:?}: links of {} differ from nix-env's",
                    profile.dir().display()
                );
            }
        }
        self.compare_listings();
    }

    fn apply_nix(&self, profile: &Profile, op: Op) -> Result<(), String> {
        let mut c = self.nix_env(profile);
        match op {
            Op::Set(i) => c.arg("--set").arg(&self.store_paths[i]),
            Op::Switch(n) => c.arg("--switch-generation").arg(n.to_string()),
            Op::Rollback => c.arg("--rollback"),
            Op::Delete(args) => c.arg("--delete-generations").args(args),
            Op::Age(n, days) => return age(profile, n, self.started - days * DAY),
            Op::Link(name, i) => return self.link(profile, name, i),
        };
        let out = self.oracle.run(&mut c);
        if out.status.success() {
            return Ok(());
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        let line = stderr
            .lines()
            .find_map(|l| l.strip_prefix("error: "))
            .unwrap_or_else(|| panic!("nix-env failed without an error line: {stderr}"));
        Err(line.to_owned())
    }

    fn apply_cairn(&self, profile: &Profile, op: Op) -> Result<(), String> {
        let result = match op {
            Op::Set(i) => profile.set(&self.store_paths[i]).map(drop),
            Op::Switch(n) => profile.switch_to(n).map(drop),
            Op::Rollback => profile.rollback().map(drop),
            Op::Delete(args) => {
                let spec = DeleteSpec::parse(args).map_err(|e| e.to_string())?;
                profile.delete(&spec).map(drop)
            }
            Op::Age(n, days) => return age(profile, n, self.started - days * DAY),
            Op::Link(name, i) => return self.link(profile, name, i),
        };
        result.map_err(|e| e.to_string())
    }

    /// Gives every generation the same distinct mtime in every profile, then
    /// checks that nix-env and cairn list every profile identically.
    fn compare_listings(&self) {
        for (profile, _) in &self.profiles {
            for g in profile.generations().unwrap().list {
                touch(&g.path, 1_700_000_000 + g.number as i64 * 3_723);
            }
        }
        let (first, _) = &self.profiles[0];
        let reference = self.nix_listing(first);
        assert_eq!(
            format_listing(&first.generations().unwrap()).unwrap(),
            reference
        );
        for (profile, _) in &self.profiles[1..] {
            assert_eq!(
                self.nix_listing(profile),
                reference,
                "nix-env on {}",
                profile.dir().display()
            );
            assert_eq!(
                format_listing(&profile.generations().unwrap()).unwrap(),
                reference,
                "cairn on {}",
                profile.dir().display()
            );
        }
    }

    fn link(&self, profile: &Profile, name: &str, i: usize) -> Result<(), String> {
        std::os::unix::fs::symlink(&self.store_paths[i], profile.dir().join(name)).unwrap();
        Ok(())
    }

    fn nix_listing(&self, profile: &Profile) -> String {
        let mut c = self.nix_env(profile);
        String::from_utf8(self.oracle.run_ok(c.arg("--list-generations"))).unwrap()
    }
}

/// Error messages with the profile path taken out: cairn quotes it and
/// appends it where Nix does not, and Nix leaves a stray quote after it.
fn normalize(message: &str, profile: &Profile) -> String {
    message
        .replace(&profile.path().display().to_string(), "PROFILE")
        .replace("'PROFILE'", "PROFILE")
        .replace("PROFILE'", "PROFILE")
        .replace(" (profile PROFILE)", "")
}

/// Every entry of `dir` with its symlink target, sorted.
fn links(dir: &Path) -> Vec<(String, String)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let target = std::fs::read_link(e.path())
                .map(|t| t.display().to_string())
                .unwrap_or_else(|_| "(not a symlink)".into());
            (e.file_name().to_string_lossy().into_owned(), target)
        })
        .collect();
    v.sort();
    v
}

/// Sets the mtime of generation `n`'s link (not its target) to `time`.
fn age(profile: &Profile, n: u64, time: i64) -> Result<(), String> {
    touch(&profile.generation_path(n), time);
    Ok(())
}

/// Sets the mtime of the symlink `link` (not its target) to `time`.
fn touch(link: &Path, time: i64) {
    let status = Command::new("touch")
        .arg("-h")
        .arg("-d")
        .arg(format!("@{time}"))
        .arg(link)
        .status()
        .unwrap();
    assert!(status.success(), "touch failed");
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn world(test: &str) -> Option<World> {
    Oracle::require(test).map(World::new)
}

#[test]
fn set_switch_and_rollback() {
    let Some(w) = world("set_switch_and_rollback") else {
        return;
    };
    use Op::*;
    w.run(&[
        Rollback,
        Switch(1),
        Delete(&["old"]),
        Set(0),
        Set(0),
        Rollback,
        Set(1),
        Set(1),
        Rollback,
        Set(1),
        Rollback,
        Set(0),
        Switch(2),
        Switch(9),
        Switch(0),
        Rollback,
        Rollback,
        Rollback,
        Switch(3),
        Set(2),
    ]);
}

#[test]
fn delete_numbers_and_old() {
    let Some(w) = world("delete_numbers_and_old") else {
        return;
    };
    use Op::*;
    w.run(&[
        Set(0),
        Set(1),
        Set(2),
        Set(3),
        Set(4),
        Switch(3),
        Delete(&["3"]),
        Delete(&["1", "3"]),
        Delete(&["1", "4", "99"]),
        Delete(&["+02", "0"]),
        Delete(&[]),
        Rollback,
        Set(2),
        Set(4),
        Delete(&["old"]),
        Rollback,
        Set(0),
        Switch(7),
        Delete(&["7"]),
        Delete(&["old"]),
    ]);
}

#[test]
fn delete_keeping_the_last_n() {
    let Some(w) = world("delete_keeping_the_last_n") else {
        return;
    };
    use Op::*;
    w.run(&[
        Set(0),
        Set(1),
        Set(2),
        Set(3),
        Set(4),
        Set(0),
        Set(1),
        Switch(5),
        Delete(&["+3"]),
        Delete(&["+2"]),
        Delete(&["+9"]),
        Delete(&["+1"]),
        Set(2),
        Delete(&["+1"]),
    ]);
}

#[test]
fn delete_older_than_days() {
    let Some(w) = world("delete_older_than_days") else {
        return;
    };
    use Op::*;
    w.run(&[
        Set(0),
        Set(1),
        Set(2),
        Set(3),
        Set(4),
        Set(0),
        Age(1, 40),
        Age(2, 30),
        Age(3, 20),
        Age(4, 10),
        Age(5, 5),
        Switch(2),
        Delete(&["60d"]),
        Delete(&["25d"]),
        Delete(&["7d"]),
        Delete(&["1d"]),
        Switch(5),
        Delete(&["1d"]),
    ]);
}

#[test]
fn malformed_deletions_fail_alike() {
    let Some(w) = world("malformed_deletions_fail_alike") else {
        return;
    };
    use Op::*;
    w.run(&[
        Set(0),
        Set(1),
        Delete(&["1x"]),
        Delete(&["+0"]),
        Delete(&["+x"]),
        Delete(&["0d"]),
        Delete(&["d"]),
        Delete(&["1d2"]),
        Delete(&["old", "1"]),
        Delete(&["x", "d"]),
        Delete(&["2"]),
    ]);
}

/// A cairn lock holds off nix-env, and nix-env's lock file protocol is ours.
#[test]
fn lock_excludes_nix_env() {
    let Some(w) = world("lock_excludes_nix_env") else {
        return;
    };
    let (profile, _) = &w.profiles[0];
    profile.set(&w.store_paths[0]).unwrap();
    profile.set(&w.store_paths[1]).unwrap();
    let lock = ProfileLock::acquire(profile.path()).unwrap();
    let mut child = w.nix_env(profile).arg("--rollback").spawn().unwrap();
    std::thread::sleep(Duration::from_millis(700));
    assert!(
        child.try_wait().unwrap().is_none(),
        "nix-env did not wait for cairn's lock"
    );
    assert_eq!(profile.generations().unwrap().current, Some(2));
    drop(lock);
    assert!(child.wait().unwrap().success());
    assert_eq!(profile.generations().unwrap().current, Some(1));
    assert!(!cairn_generations::lock_path(profile.path()).exists());
}

/// Nix's lenient parsing of link names: both tools see the same generations.
#[test]
fn odd_link_names_count_alike() {
    let Some(w) = world("odd_link_names_count_alike") else {
        return;
    };
    use Op::*;
    w.run(&[
        Set(0),
        Link("prof-03-link", 1),
        Link("prof-+5-link", 2),
        Link("prof-7-link.bak", 3),
        Link("prof-x-link", 3),
        Link("prof-4294967296-link", 3),
        Link("profile-9-link", 3),
        Set(4),
        Rollback,
        Set(4),
        Switch(7),
        Rollback,
        Rollback,
    ]);
}
