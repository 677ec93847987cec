#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

//! Builtin builders. `builtin:buildenv` against Nix 2.8: the cases of
//! `tests/builtins.nix` built by Nix in one store and by cairn in another
//! must give the same NAR hashes and references. `builtin:cairn-tree` is
//! cairn's own; its output is checked directly.

mod common;

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use cairn_build::{Quiet, realise};
use common::Stores;

/// Builds in one process share the build users (whose processes a build
/// kills before it starts): one test at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(name)
}

#[test]
fn buildenv_builds_like_nix() {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let Some(stores) = Stores::new("buildenv_builds_like_nix") else {
        return;
    };
    let file = fixture("builtins.nix");
    let drvs_a = stores.instantiate_a(&file, None);
    let drvs_b = stores.instantiate_b(&file, None);
    assert_eq!(drvs_a, drvs_b, "both stores get the same derivations");
    assert_eq!(drvs_a.len(), 9);
    stores.nix_realise(&drvs_a);

    let mut store = stores.open_b();
    let targets = common::targets(&store, &drvs_b);
    let report = realise(&mut store, &targets, &common::settings(2), None, &Quiet).unwrap();
    assert!(
        report.success(),
        "cairn failed:\n{}",
        report
            .failures
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n\n")
    );
    for (_, outputs) in &report.outputs {
        for path in outputs.values() {
            stores.assert_same_as_nix(&store, path);
        }
    }
    // The split directory really is split, and the lower priority won.
    let mut out = |attr: &str| {
        let drv = stores.instantiate_b(&file, Some(attr));
        let targets = common::targets(&store, &drv);
        let report = realise(&mut store, &targets, &common::settings(1), None, &Quiet).unwrap();
        let path = report.outputs[0].1.values().next().unwrap().clone();
        stores.b.join(
            store
                .store_dir()
                .display_path(&path)
                .trim_start_matches('/'),
        )
    };
    let split = out("split");
    assert!(
        std::fs::symlink_metadata(split.join("share"))
            .unwrap()
            .is_dir()
    );
    assert!(
        std::fs::symlink_metadata(split.join("share/a"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let priorities = out("priorities");
    assert!(
        std::fs::read_link(priorities.join("bin/tool"))
            .unwrap()
            .to_string_lossy()
            .ends_with("pkg-b/bin/tool")
    );
}

#[test]
fn buildenv_conflict_fails_like_nix() {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let Some(stores) = Stores::new("buildenv_conflict_fails_like_nix") else {
        return;
    };
    let file = fixture("builtins_conflict.nix");
    let drvs_a = stores.instantiate_a(&file, None);
    let nix = stores.oracle.run(
        stores
            .oracle
            .command("nix-store")
            .arg("--store")
            .arg(&stores.a)
            .arg("--realise")
            .args(&drvs_a),
    );
    assert!(!nix.status.success(), "Nix accepted a conflict");
    let drvs_b = stores.instantiate_b(&file, None);
    let mut store = stores.open_b();
    let targets = common::targets(&store, &drvs_b);
    let report = realise(&mut store, &targets, &common::settings(1), None, &Quiet).unwrap();
    assert!(!report.success(), "cairn accepted a conflict");
    let text = report
        .failures
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        text.contains("have the same priority 5"),
        "{text}\n{:#?}",
        report.failures
    );
}

#[test]
fn cairn_tree_writes_the_described_tree() {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let Some(stores) = Stores::new("cairn_tree_writes_the_described_tree") else {
        return;
    };
    let expr = r##"{ busybox }: derivation {
      name = "tree";
      system = builtins.currentSystem;
      builder = "builtin:cairn-tree";
      entries = builtins.toJSON [
        { path = "etc/hostname"; type = "regular"; text = "box\n"; }
        { path = "bin/run"; type = "regular"; text = "#!${busybox}/bin/sh\necho $0 ${placeholder "out"}\n"; executable = true; }
        { path = "etc/static"; type = "symlink"; target = "${busybox}"; }
        { path = "var/empty"; type = "directory"; }
      ];
    }"##;
    let file = stores.dir.path().join("tree.nix");
    std::fs::write(&file, expr).unwrap();
    let drvs = stores.instantiate_b(&file, None);
    let mut store = stores.open_b();
    let targets = common::targets(&store, &drvs);
    let report = realise(&mut store, &targets, &common::settings(1), None, &Quiet).unwrap();
    assert!(
        report.success(),
        "{:?}",
        report
            .failures
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
    );
    let path = report.outputs[0].1.values().next().unwrap().clone();
    let shown = store.store_dir().display_path(&path);
    let real = stores.b.join(shown.trim_start_matches('/'));
    assert_eq!(
        std::fs::read_to_string(real.join("etc/hostname")).unwrap(),
        "box\n"
    );
    let run = std::fs::read_to_string(real.join("bin/run")).unwrap();
    assert!(
        run.ends_with(&format!(" {shown}\n")),
        "placeholder not replaced: {run}"
    );
    assert_eq!(
        std::fs::metadata(real.join("bin/run"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o555
    );
    assert_eq!(
        std::fs::metadata(real.join("etc/hostname"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o444
    );
    assert!(std::fs::metadata(real.join("var/empty")).unwrap().is_dir());
    // busybox is referenced (link and script), and the output itself (script).
    let info = store.path_info(&path).unwrap().unwrap();
    let refs: BTreeSet<String> = info
        .references
        .iter()
        .map(|r| store.store_dir().display_path(r))
        .collect();
    assert!(refs.contains(&stores.busybox_b.store_path), "{refs:?}");
    assert!(refs.contains(&shown), "{refs:?}");
    assert_eq!(refs.len(), 2);
}
