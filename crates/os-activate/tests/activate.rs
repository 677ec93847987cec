#![allow(clippy::unwrap_used)] // test code: a panic is the failure report
//! Activating the sample system into an empty `--root`, switching to a
//! changed configuration, and rolling back: the /etc tree, the accounts,
//! the profile and the boot entries, compared as trees.

use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use cairn_build::{BindPath, BuildSettings, Quiet};
use cairn_os_activate::activate::{self, Action};
use cairn_os_activate::root::MachineRoot;
use cairn_os_activate::system::{self, SystemSpec};

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/system/configuration.nix")
}

/// Builds `configuration` into the machine's store; gives the toplevel as
/// the machine sees it.
fn build(root: &Path, configuration: PathBuf) -> PathBuf {
    let spec = SystemSpec {
        configuration,
        nix_dir: system::default_nix_dir(),
        search_path: Vec::new(),
    };
    let settings = BuildSettings {
        sandbox_paths: vec![BindPath::new("/bin/sh", cairn_testkit::HOST_BUSYBOX)],
        build_users: BuildSettings::system_build_users(1),
        ..BuildSettings::default()
    };
    let path = system::build(&spec, root, &settings, &Quiet).unwrap();
    PathBuf::from(format!("/nix/store/{path}"))
}

/// Everything under `dir`: each entry's kind, mode, owner and contents
/// (or link target).
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, String> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let rel = path.strip_prefix(base).unwrap().to_path_buf();
            let desc = if meta.file_type().is_symlink() {
                format!("link {}", std::fs::read_link(&path).unwrap().display())
            } else if meta.is_dir() {
                walk(base, &path, out);
                format!(
                    "dir {:o} {}:{}",
                    meta.mode() & 0o7777,
                    meta.uid(),
                    meta.gid()
                )
            } else {
                let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
                format!(
                    "file {:o} {}:{} {text}",
                    meta.mode() & 0o7777,
                    meta.uid(),
                    meta.gid()
                )
            };
            out.insert(rel, desc);
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn machine_state(root: &Path) -> BTreeMap<PathBuf, String> {
    let mut state = snapshot(&root.join("etc"));
    state.retain(|p, _| p != Path::new(".clean"));
    for (p, d) in snapshot(&root.join("boot")) {
        state.insert(Path::new("/boot").join(p), d);
    }
    state
}

/// Records each systemctl call and where /etc/static pointed at the time.
struct Recorder {
    etc_static: PathBuf,
    calls: Vec<(String, PathBuf)>,
}

impl cairn_os_activate::plan::UnitControl for Recorder {
    fn systemctl(&mut self, args: &[&str]) -> std::io::Result<()> {
        let link = std::fs::read_link(&self.etc_static).unwrap();
        self.calls.push((args.join(" "), link));
        Ok(())
    }
}

fn line<'a>(text: &'a str, name: &str) -> &'a str {
    text.lines()
        .find(|l| l.split(':').next() == Some(name))
        .unwrap_or_else(|| panic!("no {name} in\n{text}"))
}

#[test]
fn switch_change_and_rollback() {
    if !rustix::process::geteuid().is_root() {
        assert!(
            !cairn_testkit::in_ci(),
            "activation tests need root under CI"
        );
        eprintln!("SKIP switch_change_and_rollback: needs root");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root_dir = dir.path().join("machine");
    std::fs::create_dir_all(root_dir.join("etc")).unwrap();
    // Files that are not cairn's: never touched.
    std::fs::write(root_dir.join("etc/foreign"), "mine\n").unwrap();
    std::fs::write(root_dir.join("etc/hostname"), "handmade\n").unwrap();
    let root = MachineRoot::new(&root_dir);

    let first = build(&root_dir, sample());
    // dry-activate changes nothing.
    let dry = activate::apply(&root, &first, Action::DryActivate).unwrap();
    assert!(
        dry.would_install.contains(&PathBuf::from("/etc/motd")),
        "{:?}",
        dry.would_install
    );
    assert!(!root_dir.join("etc/static").exists());

    let report = activate::apply(&root, &first, Action::Switch).unwrap();
    assert_eq!(report.generation, Some(1));
    // A fresh machine: every wanted unit starts.
    let units = report.units.unwrap();
    assert_eq!(
        units.start.iter().collect::<Vec<_>>(),
        ["cleanup.timer", "httpd.service"]
    );
    assert!(
        report.warnings.iter().any(|w| w.contains("/etc/hostname")),
        "{:?}",
        report.warnings
    );
    assert_eq!(
        std::fs::read_to_string(root_dir.join("etc/foreign")).unwrap(),
        "mine\n"
    );
    assert_eq!(
        std::fs::read_to_string(root_dir.join("etc/hostname")).unwrap(),
        "handmade\n"
    );

    // /etc through /etc/static.
    assert_eq!(
        std::fs::read_link(root_dir.join("etc/motd")).unwrap(),
        Path::new("/etc/static/motd")
    );
    let motd = root.resolve(Path::new("/etc/motd")).unwrap();
    assert_eq!(
        std::fs::read_to_string(motd).unwrap(),
        "Welcome to sample, a cairn machine.\n"
    );
    let units = root
        .resolve(Path::new("/etc/systemd/system/httpd.service"))
        .unwrap();
    assert!(std::fs::read_to_string(units).unwrap().contains("User=www"));
    assert_eq!(
        std::fs::read_link(root_dir.join("etc/localtime")).unwrap(),
        Path::new("/etc/zoneinfo/Europe/Paris")
    );
    // A copy, with its mode and owner.
    let conf = std::fs::symlink_metadata(root_dir.join("etc/httpd/httpd.conf")).unwrap();
    assert!(conf.is_file());
    assert_eq!(conf.permissions().mode() & 0o777, 0o640);

    // Accounts.
    let passwd = std::fs::read_to_string(root_dir.join("etc/passwd")).unwrap();
    let group = std::fs::read_to_string(root_dir.join("etc/group")).unwrap();
    let shadow = std::fs::read_to_string(root_dir.join("etc/shadow")).unwrap();
    assert_eq!(
        line(&passwd, "alice"),
        "alice:x:1000:100:Alice:/home/alice:/run/current-system/sw/bin/sh"
    );
    assert_eq!(
        line(&passwd, "bob"),
        "bob:x:1001:100:Bob:/home/bob:/run/current-system/sw/bin/sh"
    );
    assert_eq!(
        line(&passwd, "www"),
        "www:x:999:999::/var/www:/run/current-system/sw/bin/nologin"
    );
    assert_eq!(line(&passwd, "root").split(':').nth(2), Some("0"));
    assert_eq!(line(&group, "www"), "www:x:999:");
    assert!(line(&group, "wheel").ends_with(":alice"), "{group}");
    assert_eq!(
        line(&shadow, "alice"),
        "alice:$6$salt$0123456789abcdef:1::::::"
    );
    assert_eq!(line(&shadow, "bob"), "bob:!:1::::::");
    assert_eq!(conf.uid(), 999);
    let home = std::fs::metadata(root_dir.join("home/alice")).unwrap();
    assert_eq!(
        (home.uid(), home.gid(), home.permissions().mode() & 0o777),
        (1000, 100, 0o700)
    );

    // Profile, current system, boot entries.
    assert_eq!(
        std::fs::read_link(root_dir.join("nix/var/nix/profiles/system")).unwrap(),
        Path::new("system-1-link")
    );
    assert_eq!(
        std::fs::read_link(root_dir.join("nix/var/nix/profiles/system-1-link")).unwrap(),
        first
    );
    assert_eq!(
        std::fs::read_link(root_dir.join("run/current-system")).unwrap(),
        first
    );
    let entry =
        std::fs::read_to_string(root_dir.join("boot/loader/entries/cairn-generation-1.conf"))
            .unwrap();
    assert!(
        entry.contains(&format!(
            "options init={}/init console=ttyS0 quiet\n",
            first.display()
        )),
        "{entry}"
    );
    assert!(
        std::fs::read_to_string(root_dir.join("boot/loader/loader.conf"))
            .unwrap()
            .contains("default cairn-generation-1.conf")
    );
    let after_first = machine_state(&root_dir);

    // Nothing was interrupted: nothing to resume.
    assert!(matches!(
        activate::resume(&root),
        Err(activate::ActivateError::NothingToResume)
    ));
    // An activation cut short (/etc/static and passwd gone, the marker
    // left behind) is finished by resume, to the same state.
    std::fs::write(
        root_dir.join("var/lib/cairn/activation-in-progress"),
        format!("{}\n", first.display()),
    )
    .unwrap();
    std::fs::remove_file(root_dir.join("etc/static")).unwrap();
    std::fs::remove_file(root_dir.join("etc/passwd")).unwrap();
    activate::resume(&root).unwrap();
    assert_eq!(machine_state(&root_dir), after_first);
    assert!(
        !root_dir
            .join("var/lib/cairn/activation-in-progress")
            .exists()
    );

    // A changed configuration: a new user, no motd, a new /etc file.
    let changed = dir.path().join("changed.nix");
    std::fs::write(
        &changed,
        format!(
            "{{ lib, ... }}: {{ imports = [ {} ]; users.users.carol.isNormalUser = true; \
             environment.etc.motd.enable = lib.mkForce false; environment.etc.\"new/file\".text = \"new\"; \
             systemd.services.httpd.serviceConfig.Restart = lib.mkForce \"on-failure\"; \
             systemd.services.cleanup.enable = false; \
             systemd.services.idle = {{ wantedBy = [ \"multi-user.target\" ]; script = \"sleep 1000\"; }}; }}",
            sample().display()
        ),
    )
    .unwrap();
    let second = build(&root_dir, changed.clone());
    // httpd changed: stopped and started; cleanup is gone: stopped; idle
    // is new: started.
    let dry = activate::apply(&root, &second, Action::DryActivate).unwrap();
    let units = dry.units.unwrap();
    let names = |s: &std::collections::BTreeSet<String>| s.iter().cloned().collect::<Vec<_>>();
    assert_eq!(
        names(&units.stop),
        ["cleanup.service", "cleanup.timer", "httpd.service"]
    );
    assert_eq!(names(&units.start), ["httpd.service", "idle.service"]);
    assert!(units.reload.is_empty() && units.restart.is_empty());
    assert_ne!(second, first);
    let static_before = std::fs::read_link(root_dir.join("etc/static")).unwrap();
    let mut recorder = Recorder {
        etc_static: root_dir.join("etc/static"),
        calls: Vec::new(),
    };
    let report = activate::apply_with(&root, &second, Action::Switch, &mut recorder).unwrap();
    assert_eq!(report.generation, Some(2));
    // Units stop while the old /etc is in place; the rest runs after.
    let static_after = std::fs::read_link(root_dir.join("etc/static")).unwrap();
    assert_ne!(static_before, static_after);
    assert_eq!(
        recorder.calls,
        [
            (
                "stop cleanup.service cleanup.timer httpd.service".to_owned(),
                static_before.clone()
            ),
            ("daemon-reload".to_owned(), static_after.clone()),
            (
                "start httpd.service idle.service".to_owned(),
                static_after.clone()
            ),
        ]
    );
    assert!(
        report
            .etc
            .unwrap()
            .removed
            .contains(&PathBuf::from("/etc/motd"))
    );
    assert!(std::fs::symlink_metadata(root_dir.join("etc/motd")).is_err());
    assert_eq!(
        std::fs::read_to_string(root.resolve(Path::new("/etc/new/file")).unwrap()).unwrap(),
        "new"
    );
    let passwd = std::fs::read_to_string(root_dir.join("etc/passwd")).unwrap();
    assert!(line(&passwd, "alice").starts_with("alice:x:1000:"));
    assert!(
        line(&passwd, "carol").starts_with("carol:x:1002:"),
        "{passwd}"
    );
    assert!(
        std::fs::read_to_string(root_dir.join("boot/loader/loader.conf"))
            .unwrap()
            .contains("default cairn-generation-2.conf")
    );
    assert!(
        root_dir
            .join("boot/loader/entries/cairn-generation-1.conf")
            .exists()
    );

    // Rolling back restores /etc, the accounts and the boot default exactly;
    // carol's home stays (homes are never deleted).
    let report = activate::rollback(&root).unwrap();
    assert_eq!(report.generation, Some(1));
    let mut after_rollback = machine_state(&root_dir);
    // The new/ directory the second generation made stays, empty.
    assert_eq!(
        after_rollback
            .remove(Path::new("new"))
            .as_deref()
            .map(|d| d.starts_with("dir")),
        Some(true)
    );
    // Generation 2 still exists, so does its boot entry (no longer the default).
    assert!(
        after_rollback
            .remove(Path::new("/boot/loader/entries/cairn-generation-2.conf"))
            .is_some()
    );
    assert_eq!(after_rollback, after_first);
    assert!(root_dir.join("home/carol").is_dir());
    assert_eq!(
        std::fs::read_link(root_dir.join("run/current-system")).unwrap(),
        first
    );

    // Switching forward again gives carol her old uid back.
    activate::apply(&root, &second, Action::Switch).unwrap();
    let passwd = std::fs::read_to_string(root_dir.join("etc/passwd")).unwrap();
    assert!(
        line(&passwd, "carol").starts_with("carol:x:1002:"),
        "{passwd}"
    );

    // Only httpd's reload triggers change: it is reloaded, and idle,
    // unchanged, is left alone.
    let reloading = dir.path().join("reloading.nix");
    std::fs::write(
        &reloading,
        format!(
            "{{ ... }}: {{ imports = [ {} ]; systemd.services.httpd.reloadTriggers = [ \"v2\" ]; }}",
            changed.display()
        ),
    )
    .unwrap();
    let third = build(&root_dir, reloading);
    let mut recorder = Recorder {
        etc_static: root_dir.join("etc/static"),
        calls: Vec::new(),
    };
    let report = activate::apply_with(&root, &third, Action::Switch, &mut recorder).unwrap();
    assert_eq!(report.generation, Some(3));
    let units = report.units.unwrap();
    assert_eq!(names(&units.reload), ["httpd.service"]);
    assert!(
        units.stop.is_empty() && units.start.is_empty() && units.restart.is_empty(),
        "{units:?}"
    );
    let static_third = std::fs::read_link(root_dir.join("etc/static")).unwrap();
    assert_eq!(
        recorder.calls,
        [
            ("daemon-reload".to_owned(), static_third.clone()),
            ("reload httpd.service".to_owned(), static_third),
        ]
    );
}

#[test]
fn boot_and_test_do_half_each() {
    if !rustix::process::geteuid().is_root() {
        eprintln!("SKIP boot_and_test_do_half_each: needs root");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = MachineRoot::new(dir.path());
    let top = build(dir.path(), sample());
    activate::apply(&root, &top, Action::Test).unwrap();
    assert!(
        dir.path().join("etc/static").exists()
            || std::fs::symlink_metadata(dir.path().join("etc/static")).is_ok()
    );
    assert!(std::fs::symlink_metadata(dir.path().join("nix/var/nix/profiles/system")).is_err());
    assert!(!dir.path().join("boot").exists());

    let other = tempfile::tempdir().unwrap();
    let root = MachineRoot::new(other.path());
    let top = build(other.path(), sample());
    activate::apply(&root, &top, Action::Boot).unwrap();
    assert!(std::fs::symlink_metadata(other.path().join("nix/var/nix/profiles/system")).is_ok());
    assert!(
        other
            .path()
            .join("boot/loader/entries/cairn-generation-1.conf")
            .exists()
    );
    assert!(std::fs::symlink_metadata(other.path().join("etc/static")).is_err());
}
