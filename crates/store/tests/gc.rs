//! The garbage collector: every kind of root keeps its closure, the dead
//! paths are the ones Nix's collector finds dead on the same store, and
//! a collection leaves a store that both cairn and Nix verify.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::collections::BTreeSet;
use std::path::Path;

use cairn_store::local::{GcOptions, LocalStore, LocalStoreConfig};
use cairn_store::path::{StorePath, StorePathName};

struct Fixture {
    _work: tempfile::TempDir,
    root: std::path::PathBuf,
    store: LocalStore,
    /// Keeps the temporary root alive, as a running process would.
    _holder: LocalStore,
    live: BTreeSet<StorePath>,
    dead: BTreeSet<StorePath>,
}

fn text(store: &mut LocalStore, name: &str, references: &[&StorePath]) -> StorePath {
    let mut contents = format!("{name}:");
    for r in references {
        contents.push_str(&store.store_dir().display_path(r));
        contents.push(' ');
    }
    let references: BTreeSet<StorePath> = references.iter().map(|r| (*r).clone()).collect();
    store
        .add_text(
            &StorePathName::new(name).unwrap(),
            contents.as_bytes(),
            &references,
        )
        .unwrap()
}

fn link(link: &Path, target: &str) {
    std::fs::create_dir_all(link.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(target, link).unwrap();
}

/// A store with one path kept by each kind of root, and two dead ones.
fn fixture() -> Fixture {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("store");
    let config = LocalStoreConfig {
        fsync: false,
        ..LocalStoreConfig::chroot(&root)
    };
    // The paths are added by a "process" that then ends: while it lived,
    // everything it added was one of its temporary roots.
    let mut store = LocalStore::open(config.clone()).unwrap();
    let base = text(&mut store, "base", &[]);
    let lib = text(&mut store, "lib", &[&base]);
    let app = text(&mut store, "app", &[&lib]);
    let tool = text(&mut store, "tool", &[&base]);
    let generation = text(&mut store, "generation", &[&lib]);
    let in_use = text(&mut store, "in-use", &[]);
    let orphan = text(&mut store, "orphan", &[&base]);
    let orphan_user = text(&mut store, "orphan-user", &[&orphan, &app]);
    let state = root.join("nix/var/nix");
    let dir = store.store_dir().clone();
    // A direct root, inside a store path.
    link(
        &state.join("gcroots/direct"),
        &format!("{}/sub/file", dir.display_path(&app)),
    );
    // An indirect root, as `--add-root` makes: auto/… -> ./result -> store.
    link(&work.path().join("result"), &dir.display_path(&tool));
    link(
        &state.join("gcroots/auto/indirect"),
        work.path().join("result").to_str().unwrap(),
    );
    // A stale indirect root: removed by the collector.
    link(
        &state.join("gcroots/auto/stale"),
        work.path().join("gone").to_str().unwrap(),
    );
    // A profile generation.
    link(
        &state.join("profiles/p-1-link"),
        &dir.display_path(&generation),
    );
    link(&state.join("profiles/p"), "p-1-link");
    // A temporary root of another "process" (another store handle).
    let mut holder = LocalStore::open(config.clone()).unwrap();
    drop(holder.add_temp_root(&in_use).unwrap());
    drop(store);
    let store = LocalStore::open(config).unwrap();

    let live = BTreeSet::from([base, lib, app, tool, generation, in_use]);
    let dead = BTreeSet::from([orphan, orphan_user]);
    Fixture {
        _work: work,
        root,
        store,
        _holder: holder,
        live,
        dead,
    }
}

impl Fixture {
    /// The fixture's path named `name`, live or dead.
    fn path(&self, name: &str) -> StorePath {
        self.live
            .iter()
            .chain(&self.dead)
            .find(|p| p.name().as_str() == name)
            .unwrap_or_else(|| panic!("no path named {name}"))
            .clone()
    }
}

#[test]
fn each_kind_of_root_keeps_its_closure_and_the_rest_goes() {
    let mut f = fixture();
    let options = GcOptions {
        runtime_roots: false,
        ..GcOptions::default()
    };
    let dry = f
        .store
        .collect_garbage(&GcOptions {
            dry_run: true,
            ..options.clone()
        })
        .unwrap();
    assert_eq!(dry.dead.iter().cloned().collect::<BTreeSet<_>>(), f.dead);
    assert_eq!(dry.live, f.live);
    assert!(
        f.dead.iter().all(|p| f.store.is_valid(p).unwrap()),
        "a dry run deleted something"
    );

    let report = f.store.collect_garbage(&options).unwrap();
    assert_eq!(report.dead.len(), 2);
    // The referrer went first: deleting its reference first would have failed.
    assert_eq!(report.dead[0].name().as_str(), "orphan-user");
    for path in &f.dead {
        assert!(!f.store.is_valid(path).unwrap());
        assert!(!f.store.real_path(path).exists());
    }
    for path in &f.live {
        assert!(f.store.is_valid(path).unwrap() && f.store.real_path(path).exists());
    }
    assert!(
        !f.root.join("nix/var/nix/gcroots/auto/stale").exists(),
        "the stale indirect root stayed"
    );
    assert!(f.store.verify(true).unwrap().is_ok());
}

#[test]
fn max_freed_stops_early() {
    let mut f = fixture();
    let report = f
        .store
        .collect_garbage(&GcOptions {
            max_freed: Some(1),
            runtime_roots: false,
            ..GcOptions::default()
        })
        .unwrap();
    assert_eq!(report.dead.len(), 1, "one path frees more than one byte");
}

#[test]
fn nix_finds_the_same_dead_paths_and_accepts_the_result() {
    let Some(oracle) = cairn_testkit::Oracle::require("store::gc::nix_finds_the_same_dead_paths")
    else {
        return;
    };
    let mut f = fixture();
    let out = oracle.run_ok(
        oracle
            .command("nix-store")
            .arg("--store")
            .arg(&f.root)
            .args(["--gc", "--print-dead"]),
    );
    let theirs: BTreeSet<String> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let ours: BTreeSet<String> = f
        .dead
        .iter()
        .map(|p| f.store.store_dir().display_path(p))
        .collect();
    assert_eq!(theirs, ours);

    f.store
        .collect_garbage(&GcOptions {
            runtime_roots: false,
            ..GcOptions::default()
        })
        .unwrap();
    oracle.run_ok(
        oracle
            .command("nix-store")
            .arg("--store")
            .arg(&f.root)
            .args(["--verify", "--check-contents"]),
    );
    let out = oracle.run_ok(
        oracle
            .command("nix-store")
            .arg("--store")
            .arg(&f.root)
            .args(["--gc", "--print-dead"]),
    );
    assert!(
        out.is_empty(),
        "Nix still finds dead paths: {}",
        String::from_utf8_lossy(&out)
    );
}

#[test]
fn delete_refuses_a_live_path_and_names_its_root() {
    let mut f = fixture();
    // `tool` is kept by one root only: the indirect one, through `result`.
    let tool = f.path("tool");
    let error = f
        .store
        .delete(std::slice::from_ref(&tool))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("-tool: it is alive") && error.ends_with("/result"),
        "{error}"
    );
    assert!(f.store.is_valid(&tool).unwrap());
    let dead: Vec<StorePath> = f.dead.iter().cloned().collect();
    f.store.delete(&dead).unwrap();
}

#[test]
fn the_temporary_roots_of_a_process_that_is_gone_keep_nothing() {
    let mut f = fixture();
    // A file left by a process that died without cleaning up: nobody holds its lock.
    let orphan = f.path("orphan");
    let stale = f.root.join("nix/var/nix/temproots/999999");
    std::fs::write(
        &stale,
        format!("{}\0", f.store.store_dir().display_path(&orphan)),
    )
    .unwrap();
    let report = f
        .store
        .collect_garbage(&GcOptions {
            runtime_roots: false,
            ..GcOptions::default()
        })
        .unwrap();
    assert!(report.dead.contains(&orphan));
    assert!(!stale.exists(), "the stale temporary-roots file stayed");
}

#[test]
fn a_killed_build_leaves_a_staging_directory_the_collector_removes() {
    let mut f = fixture();
    let running = f.store.build_staging_dir().unwrap();
    std::fs::write(running.path().join("partial-output"), b"x").unwrap();
    // What a build killed with SIGKILL leaves: its directory, whose lock
    // went with the process.
    let abandoned = running.path().parent().unwrap().join(".cairn-build-killed");
    std::fs::create_dir(&abandoned).unwrap();
    std::fs::write(abandoned.join("partial-output"), b"x").unwrap();
    f.store
        .collect_garbage(&GcOptions {
            runtime_roots: false,
            ..GcOptions::default()
        })
        .unwrap();
    assert!(running.path().join("partial-output").exists());
    assert!(!abandoned.exists());
}
