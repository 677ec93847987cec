//! `cairn profile install/remove/list` against `nix-env -i/-e/-q`: the same
//! steps on two profiles in one chroot store must agree on success, on the
//! installed names, and on the merged tree of links (the manifests differ
//! by design: `manifest.nix` against cairn's `manifest.json`).
//!
//! Needs root for `nix-env`'s private mount namespace (see
//! [`World::nix_env`]).
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use cairn_store::local::{LocalStore, LocalStoreConfig};
use cairn_store::path::StorePathName;
use cairn_testkit::Oracle;

struct World {
    oracle: Oracle,
    work: tempfile::TempDir,
    store: PathBuf,
    nix_profile: PathBuf,
    cairn_profile: PathBuf,
}

impl World {
    fn new(oracle: Oracle) -> World {
        let work = tempfile::tempdir().unwrap();
        let store = work.path().join("store");
        let profiles = work.path().join("profiles");
        std::fs::create_dir(&profiles).unwrap();
        World {
            oracle,
            nix_profile: profiles.join("nix"),
            cairn_profile: profiles.join("cairn"),
            store,
            work,
        }
    }

    /// Adds a package made of `files` (path, contents) with `nix-store
    /// --add`, and returns its store path.
    fn package(&self, name: &str, files: &[(&str, &str)]) -> String {
        let dir = self.work.path().join("src").join(name);
        for (path, contents) in files {
            let file = dir.join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, contents).unwrap();
        }
        let out = self.oracle.run_ok(
            self.oracle
                .command("nix-store")
                .arg("--store")
                .arg(&self.store)
                .arg("--add")
                .arg(&dir),
        );
        String::from_utf8(out).unwrap().trim().to_owned()
    }

    /// `nix-env` on the test store. Nix 2.8 reads a profile's manifest
    /// through the host's `/nix/store` even with `--store`, so with a
    /// chroot store it never sees what is installed; it runs instead in a
    /// private mount namespace where the test store is bind-mounted on
    /// `/nix` (the host's store is untouched).
    /// A package like [`World::package`], registered as referring to
    /// `reference`.
    fn package_referring(&self, name: &str, files: &[(&str, &str)], reference: &str) -> String {
        let dir = self.work.path().join("src").join(name);
        for (path, contents) in files {
            let file = dir.join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, contents).unwrap();
        }
        let mut store = LocalStore::open(LocalStoreConfig::chroot(&self.store)).unwrap();
        let reference = store.parse_path(reference).unwrap();
        let path = store
            .add_tree_with_references(
                &dir,
                &StorePathName::new(name).unwrap(),
                &BTreeSet::from([reference]),
            )
            .unwrap();
        store.store_dir().display_path(&path)
    }

    fn nix_env(&self, args: &[&str]) -> Command {
        let mut command = self.oracle.command("unshare");
        command
            .args([
                "--mount",
                "--",
                "sh",
                "-c",
                "mount --bind \"$0\" /nix && exec nix-env \"$@\"",
            ])
            .arg(self.store.join("nix"))
            .arg("-p")
            .arg(&self.nix_profile)
            .args(args);
        command
    }

    fn cairn(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_cairn"));
        command.arg("--store").arg(&self.store).args(args);
        command
    }

    fn cairn_profile(&self, args: &[&str]) -> Command {
        let mut command = self.cairn(&["profile", "-p"]);
        command.arg(&self.cairn_profile).args(args);
        command
    }

    /// Runs the same step with both tools; they must agree on success and,
    /// after it, on what is installed and on the tree.
    fn step(&self, nix_args: &[&str], cairn_args: &[&str]) -> bool {
        let nix = self.nix_env(nix_args).output().unwrap();
        let cairn = self.cairn_profile(cairn_args).output().unwrap();
        assert_eq!(
            nix.status.success(),
            cairn.status.success(),
            "{nix_args:?}: nix-env said {}, cairn said {}",
            String::from_utf8_lossy(&nix.stderr),
            String::from_utf8_lossy(&cairn.stderr),
        );
        self.compare();
        nix.status.success()
    }

    fn compare(&self) {
        let nix_q = self.oracle.run_ok(&mut self.nix_env(&["-q"]));
        let out = self.cairn_profile(&["list"]).output().unwrap();
        assert!(out.status.success(), "{out:?}");
        assert_eq!(
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(nix_q).unwrap()
        );
        assert_eq!(self.tree(&self.cairn_profile), self.tree(&self.nix_profile));
    }

    /// The current environment's tree: each entry with its kind and, for a
    /// link, its target; the manifest left out.
    fn tree(&self, profile: &Path) -> Vec<String> {
        let target = std::fs::read_link(
            profile
                .parent()
                .unwrap()
                .join(std::fs::read_link(profile).unwrap()),
        )
        .unwrap();
        let real = self.store.join(target.strip_prefix("/").unwrap());
        let mut entries = Vec::new();
        walk(&real, Path::new(""), &mut entries);
        entries.retain(|e| !e.starts_with("manifest."));
        entries
    }

    fn is_valid(&self, path: &str) -> bool {
        self.oracle
            .command("nix-store")
            .arg("--store")
            .arg(&self.store)
            .args(["--check-validity", path])
            .output()
            .unwrap()
            .status
            .success()
    }
}

fn walk(dir: &Path, relative: &Path, entries: &mut Vec<String>) {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    for name in names {
        let path = dir.join(&name);
        let rel = relative.join(&name);
        let meta = std::fs::symlink_metadata(&path).unwrap();
        if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&path).unwrap();
            entries.push(format!("{} -> {}", rel.display(), target.display()));
        } else if meta.is_dir() {
            entries.push(format!("{}/", rel.display()));
            walk(&path, &rel, entries);
        } else {
            entries.push(format!("{} (file)", rel.display()));
        }
    }
}

#[test]
fn user_environments_match_nix_env() {
    let Some(oracle) = Oracle::require("cli::user_environments_match_nix_env") else {
        return;
    };
    let w = World::new(oracle);
    let hello1 = w.package(
        "hello-1.0",
        &[
            ("bin/hello", "1"),
            ("share/doc/hello/README", "h"),
            ("share/man/man1/hello.1", "m"),
            (".hidden", "skipped"),
        ],
    );
    let hello2 = w.package(
        "hello-2.0",
        &[("bin/hello", "2"), ("share/doc/hello/README", "h2")],
    );
    let world = w.package(
        "world-2",
        &[
            ("bin/world", "w"),
            ("share/doc/world/README", "w"),
            ("share/man/man1/world.1", "m"),
            ("nix-support/setup-hook", "left out"),
        ],
    );
    let extra = w.package("extra-1", &[("share/extra/data", "e"), ("bin/extra", "e")]);
    // What a package propagates is in its closure (Nix's builder sees only
    // that), so this one is added with the reference.
    let tools = w.package_referring(
        "tools-1",
        &[
            ("lib/libt.so", "t"),
            (
                "nix-support/propagated-user-env-packages",
                &format!("{extra}\n"),
            ),
        ],
        &extra,
    );
    let clash = w.package("clash-1", &[("bin/hello", "clash")]);
    let file_over_dir = w.package(
        "flat-1",
        &[("share", "a file where others have a directory")],
    );

    assert!(w.step(&["-i", &hello1, &world], &["install", &hello1, &world]));
    assert!(w.step(&["-i", &tools], &["install", &tools]));
    // A new version replaces the old one.
    assert!(w.step(&["-i", &hello2], &["install", &hello2]));
    // Same priority, same file: both refuse, and nothing changes.
    assert!(!w.step(&["-i", &clash], &["install", &clash]));
    assert!(!w.step(&["-i", &file_over_dir], &["install", &file_over_dir]));
    // By name without version, by full name; unknown names are no error.
    assert!(w.step(&["-e", "world"], &["remove", "world"]));
    assert!(w.step(
        &["-e", "tools-1", "nothing"],
        &["remove", "tools-1", "nothing"]
    ));

    // Every generation is a root (the profiles are outside profiles/, so
    // only through the indirect roots): a collection keeps hello-1.0.
    let gc = w.cairn(&["store", "gc"]).output().unwrap();
    assert!(gc.status.success(), "{gc:?}");
    assert!(w.is_valid(&hello1) && w.is_valid(&world) && w.is_valid(&extra));
    w.compare();

    // Once the old generations are gone from both profiles, it goes.
    w.oracle
        .run_ok(&mut w.nix_env(&["--delete-generations", "old"]));
    let wipe = w.cairn_profile(&["wipe-history"]).output().unwrap();
    assert!(wipe.status.success(), "{wipe:?}");
    let gc = w.cairn(&["store", "gc"]).output().unwrap();
    assert!(gc.status.success(), "{gc:?}");
    assert!(!w.is_valid(&hello1) && !w.is_valid(&world) && !w.is_valid(&extra));
    assert!(w.is_valid(&hello2));
    w.compare();
    w.oracle.run_ok(
        w.oracle
            .command("nix-store")
            .arg("--store")
            .arg(&w.store)
            .arg("--verify"),
    );

    assert!(w.step(&["-e", "*"], &["remove", "*"]));
}

#[test]
fn install_builds_attributes_of_a_file() {
    let Some(oracle) = Oracle::require("cli::install_builds_attributes_of_a_file") else {
        return;
    };
    let w = World::new(oracle);
    let busybox = w.oracle.import_busybox(&w.store);
    let file = w.work.path().join("default.nix");
    std::fs::write(
        &file,
        format!(
            "let busybox = {}; in {{
               hello = derivation {{
                 name = \"hello-3.0\";
                 system = builtins.currentSystem;
                 builder = \"${{busybox}}/bin/sh\";
                 args = [ \"-c\" \"${{busybox}}/bin/busybox mkdir -p $out/bin && echo hi > $out/bin/hello\" ];
               }};
             }}",
            busybox.expression
        ),
    )
    .unwrap();
    let file = file.to_str().unwrap();
    // cairn first, so that it builds rather than finding Nix's output.
    let cairn = w
        .cairn_profile(&["install", "-f", file, "-A", "hello"])
        .output()
        .unwrap();
    assert!(cairn.status.success(), "{cairn:?}");
    w.oracle
        .run_ok(&mut w.nix_env(&["-f", file, "-iA", "hello"]));
    w.compare();
    // One package: its `bin` is linked whole.
    let tree = w.tree(&w.cairn_profile);
    assert!(
        tree.len() == 1
            && tree[0].starts_with("bin -> /nix/store/")
            && tree[0].ends_with("-hello-3.0/bin"),
        "{tree:?}"
    );
}

#[test]
fn store_gc_delete_old_drops_old_generations_of_every_profile_first() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("store");
    let mut store = LocalStore::open(LocalStoreConfig::chroot(&root)).unwrap();
    let mut add = |name: &str| {
        let path = store
            .add_text(
                &StorePathName::new(name).unwrap(),
                name.as_bytes(),
                &BTreeSet::new(),
            )
            .unwrap();
        store.store_dir().display_path(&path)
    };
    let (a, b, c) = (add("a"), add("b"), add("c"));
    drop(store);
    let cairn = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_cairn"))
            .arg("--store")
            .arg(&root)
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {out:?}");
    };
    let profiles = root.join("nix/var/nix/profiles");
    let system = profiles.join("system");
    let user = profiles.join("per-user/alice/profile");
    std::fs::create_dir_all(user.parent().unwrap()).unwrap();
    for (profile, targets) in [(&system, [&a, &b]), (&user, [&a, &c])] {
        for target in targets {
            cairn(&["profile", "-p", profile.to_str().unwrap(), "set", target]);
        }
    }
    cairn(&["store", "gc", "--delete-old"]);
    let store = LocalStore::open(LocalStoreConfig::chroot(&root)).unwrap();
    let valid = |path: &str| store.is_valid(&store.parse_path(path).unwrap()).unwrap();
    assert!(!valid(&a), "a was only in old generations");
    assert!(valid(&b) && valid(&c), "current generations stay");
    assert!(std::fs::symlink_metadata(profiles.join("system-1-link")).is_err());
    assert!(std::fs::symlink_metadata(profiles.join("system-2-link")).is_ok());
    assert!(std::fs::symlink_metadata(profiles.join("per-user/alice/profile-1-link")).is_err());
}
