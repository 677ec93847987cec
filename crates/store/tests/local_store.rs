//! The local store, and its interoperation with Nix on one shared store:
//! Nix reads what cairn registers, and cairn reads what Nix registers.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::collections::BTreeSet;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use cairn_store::FileIngestionMethod;
use cairn_store::local::{LocalStore, LocalStoreConfig, LocalStoreError};
use cairn_store::path::{StorePath, StorePathName};

fn sample_tree(dir: &Path) -> std::path::PathBuf {
    let root = dir.join("tree");
    std::fs::create_dir_all(root.join("sub/empty")).unwrap();
    std::fs::write(root.join("file"), "contents\n").unwrap();
    std::fs::write(root.join("sub/tool"), "#!/bin/sh\necho hi\n").unwrap();
    std::fs::set_permissions(
        root.join("sub/tool"),
        std::fs::Permissions::from_mode(0o4755),
    )
    .unwrap();
    std::os::unix::fs::symlink("../file", root.join("sub/link")).unwrap();
    std::os::unix::fs::symlink("nowhere", root.join("dangling")).unwrap();
    root
}

fn open(root: &Path) -> LocalStore {
    LocalStore::open(LocalStoreConfig::chroot(root)).unwrap()
}

fn name(s: &str) -> StorePathName {
    StorePathName::new(s).unwrap()
}

#[test]
fn added_paths_are_canonical_and_valid() {
    let work = tempfile::tempdir().unwrap();
    let tree = sample_tree(work.path());
    let mut store = open(&work.path().join("store"));
    let path = store
        .add_path(&tree, &name("tree"), FileIngestionMethod::Recursive)
        .unwrap();
    assert!(store.is_valid(&path).unwrap());
    let real = store.real_path(&path);
    for (relative, mode) in [
        ("", 0o555),
        ("file", 0o444),
        ("sub/tool", 0o555),
        ("sub/empty", 0o555),
    ] {
        let meta = std::fs::symlink_metadata(real.join(relative)).unwrap();
        assert_eq!(meta.mode() & 0o7777, mode, "mode of {relative:?}");
        assert_eq!(meta.mtime(), 1, "mtime of {relative:?}");
    }
    assert_eq!(
        std::fs::symlink_metadata(real.join("sub/link"))
            .unwrap()
            .mtime(),
        1
    );
    // Adding again is a no-op returning the same path; nothing is left staged.
    assert_eq!(
        store
            .add_path(&tree, &name("tree"), FileIngestionMethod::Recursive)
            .unwrap(),
        path
    );
    let leftovers: Vec<_> = std::fs::read_dir(real.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.') && n != ".links")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let report = store.verify(true).unwrap();
    assert!(report.is_ok() && report.checked == 1, "{report:?}");
}

#[test]
fn a_flat_add_takes_only_a_regular_file() {
    let work = tempfile::tempdir().unwrap();
    let tree = sample_tree(work.path());
    let mut store = open(&work.path().join("store"));
    let error = store
        .add_path(&tree, &name("tree"), FileIngestionMethod::Flat)
        .unwrap_err();
    assert!(matches!(error, LocalStoreError::NotAFile(_)), "{error}");
    assert!(store.valid_paths().unwrap().is_empty());
}

#[test]
fn verify_notices_missing_and_modified_contents() {
    let work = tempfile::tempdir().unwrap();
    let tree = sample_tree(work.path());
    let mut store = open(&work.path().join("store"));
    let path = store
        .add_path(&tree, &name("tree"), FileIngestionMethod::Recursive)
        .unwrap();
    let file = store.real_path(&path).join("file");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::write(&file, "tampered\n").unwrap();
    let report = store.verify(true).unwrap();
    assert_eq!(report.modified.len(), 1, "{report:?}");
    assert!(
        store.verify(false).unwrap().is_ok(),
        "existence alone still holds"
    );
    std::fs::remove_file(&file).unwrap();
    std::fs::remove_dir_all(store.real_path(&path)).unwrap();
    assert_eq!(store.verify(false).unwrap().missing, vec![path]);
}

#[test]
fn delete_refuses_referenced_paths_and_removes_dead_ones() {
    let work = tempfile::tempdir().unwrap();
    let mut store = open(&work.path().join("store"));
    let base = store
        .add_text(&name("base"), b"base", &BTreeSet::new())
        .unwrap();
    let user = store
        .add_text(
            &name("user"),
            format!("uses {}", store.store_dir().display_path(&base)).as_bytes(),
            &BTreeSet::from([base.clone()]),
        )
        .unwrap();
    assert_eq!(
        store.referrers(&base).unwrap(),
        BTreeSet::from([user.clone()])
    );
    assert_eq!(
        store.closure(std::slice::from_ref(&user)).unwrap(),
        BTreeSet::from([base.clone(), user.clone()])
    );

    // A new handle, as a later `cairn store delete` would be: the adding
    // one held temporary roots on everything it added.
    drop(store);
    let mut store = open(&work.path().join("store"));
    let error = store.delete(std::slice::from_ref(&base)).unwrap_err();
    assert!(
        matches!(error, LocalStoreError::StillReferenced { .. }),
        "{error}"
    );
    assert!(store.is_valid(&base).unwrap() && store.real_path(&base).exists());

    // Both at once: the referrer goes first.
    store.delete(&[base.clone(), user.clone()]).unwrap();
    for path in [&base, &user] {
        assert!(!store.is_valid(path).unwrap());
        assert!(!store.real_path(path).exists());
    }
}

#[test]
fn registering_a_reference_that_is_not_valid_fails_and_registers_nothing() {
    let work = tempfile::tempdir().unwrap();
    let mut store = open(&work.path().join("store"));
    let ghost = StorePath::from_base_name("00000000000000000000000000000000-ghost").unwrap();
    let error = store
        .add_text(&name("t"), b"x", &BTreeSet::from([ghost]))
        .unwrap_err();
    assert!(
        matches!(error, LocalStoreError::InvalidReference { .. }),
        "{error}"
    );
    assert!(
        store.valid_paths().unwrap().is_empty(),
        "a failed registration left a row"
    );
}

/// `nix path-info --json` for `path` in the chroot store `root`.
fn nix_path_info(oracle: &cairn_testkit::Oracle, root: &Path, path: &str) -> serde_json::Value {
    let out = oracle.run_ok(oracle.command("nix").arg("--store").arg(root).args([
        "path-info",
        "--json",
        path,
    ]));
    let list: serde_json::Value = serde_json::from_slice(&out).unwrap();
    list[0].clone()
}

/// The path info of `path` as cairn reads it equals what `nix path-info`
/// says of it: NAR hash and size, content address, registration time and
/// references.
fn assert_nix_sees_what_cairn_sees(
    oracle: &cairn_testkit::Oracle,
    store: &LocalStore,
    root: &Path,
    path: &StorePath,
) {
    let dir = store.store_dir();
    let ours = store.path_info(path).unwrap().unwrap();
    let theirs = nix_path_info(oracle, root, &dir.display_path(path));
    assert_eq!(theirs["narHash"], ours.nar_hash.to_sri(), "{path}");
    assert_eq!(theirs["narSize"], ours.nar_size, "{path}");
    assert_eq!(theirs["ca"], ours.ca.unwrap().to_string(), "{path}");
    assert_eq!(theirs["registrationTime"], ours.registration_time, "{path}");
    let references: BTreeSet<String> = ours
        .references
        .iter()
        .map(|r| dir.display_path(r))
        .collect();
    let their_references: BTreeSet<String> = theirs["references"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(their_references, references, "{path}");
}

#[test]
fn nix_reads_a_store_cairn_wrote() {
    let Some(oracle) = cairn_testkit::Oracle::require("store::nix_reads_a_store_cairn_wrote")
    else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let tree = sample_tree(work.path());
    let root = work.path().join("store");
    let mut store = open(&root);
    let source = store
        .add_path(&tree, &name("tree"), FileIngestionMethod::Recursive)
        .unwrap();
    let flat = store
        .add_path(&tree.join("file"), &name("file"), FileIngestionMethod::Flat)
        .unwrap();
    let text = store
        .add_text(
            &name("notes"),
            format!("see {}", store.store_dir().display_path(&source)).as_bytes(),
            &BTreeSet::from([source.clone()]),
        )
        .unwrap();
    drop(store);

    // The same paths as Nix's own adds of the same inputs.
    let nix_add = oracle.run_ok(
        oracle
            .command("nix-store")
            .arg("--store")
            .arg(work.path().join("nix"))
            .arg("--add")
            .arg(&tree),
    );
    assert_eq!(
        String::from_utf8(nix_add).unwrap().trim(),
        format!("/nix/store/{source}")
    );
    let nix_flat = oracle.run_ok(
        oracle
            .command("nix")
            .arg("--store")
            .arg(work.path().join("nix"))
            .args(["store", "add-file"])
            .arg(tree.join("file")),
    );
    assert_eq!(
        String::from_utf8(nix_flat).unwrap().trim(),
        format!("/nix/store/{flat}")
    );

    oracle.run_ok(
        oracle
            .command("nix-store")
            .arg("--store")
            .arg(&root)
            .args(["--verify", "--check-contents"]),
    );
    let store = open(&root);
    for path in [&source, &flat, &text] {
        assert_nix_sees_what_cairn_sees(&oracle, &store, &root, path);
    }
}

#[test]
fn cairn_reads_a_store_nix_wrote() {
    let Some(oracle) = cairn_testkit::Oracle::require("store::cairn_reads_a_store_nix_wrote")
    else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let tree = sample_tree(work.path());
    let root = work.path().join("store");
    let added = oracle.run_ok(
        oracle
            .command("nix-store")
            .arg("--store")
            .arg(&root)
            .arg("--add")
            .arg(&tree),
    );
    let added = String::from_utf8(added).unwrap().trim().to_owned();
    let text = oracle.run_ok(
        oracle
            .command("nix-instantiate")
            .arg("--store")
            .arg(&root)
            .args([
                "--read-write-mode",
                "--eval",
                "-E",
                &format!("builtins.toFile \"notes\" \"see ${{{}}}\"", tree.display()),
            ]),
    );
    let text = String::from_utf8(text)
        .unwrap()
        .trim()
        .trim_matches('"')
        .to_owned();

    let mut store = open(&root);
    for printed in [&added, &text] {
        let path = store.parse_path(printed).unwrap();
        assert_nix_sees_what_cairn_sees(&oracle, &store, &root, &path);
    }
    assert!(store.verify(true).unwrap().is_ok());
    // cairn computes the toFile path Nix registered, and sees it is valid.
    let source = store.parse_path(&added).unwrap();
    let again = store
        .add_text(
            &name("notes"),
            format!("see {added}").as_bytes(),
            &BTreeSet::from([source]),
        )
        .unwrap();
    assert_eq!(store.store_dir().display_path(&again), text);
}

#[test]
fn optimise_links_identical_files_as_nix_does() {
    let Some(oracle) =
        cairn_testkit::Oracle::require("store::optimise_links_identical_files_as_nix_does")
    else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("store");
    let mut store = open(&root);
    let first = sample_tree(&work.path().join("one"));
    let second = sample_tree(&work.path().join("two"));
    std::fs::write(second.join("extra"), "only here\n").unwrap();
    let a = store
        .add_path(&first, &name("a"), FileIngestionMethod::Recursive)
        .unwrap();
    let b = store
        .add_path(&second, &name("b"), FileIngestionMethod::Recursive)
        .unwrap();
    let lone = store
        .add_path(
            &first.join("file"),
            &name("lone"),
            FileIngestionMethod::Flat,
        )
        .unwrap();
    let store_dir_mode = std::fs::metadata(root.join("nix/store")).unwrap().mode();

    let stats = store.optimise().unwrap();
    // file, sub/tool, sub/link and dangling are shared by a and b; `file`
    // is also the flat path `lone`.
    assert_eq!(stats.files_linked, 5, "{stats:?}");
    for relative in ["file", "sub/tool", "sub/link", "dangling"] {
        let ino = |p: &StorePath| {
            std::fs::symlink_metadata(store.real_path(p).join(relative))
                .unwrap()
                .ino()
        };
        assert_eq!(ino(&a), ino(&b), "{relative} is not shared");
    }
    assert_eq!(
        std::fs::metadata(store.real_path(&lone)).unwrap().ino(),
        std::fs::metadata(store.real_path(&a).join("file"))
            .unwrap()
            .ino()
    );
    assert_eq!(
        std::fs::metadata(root.join("nix/store")).unwrap().mode(),
        store_dir_mode
    );
    assert!(store.verify(true).unwrap().is_ok());
    assert_eq!(
        store.optimise().unwrap(),
        Default::default(),
        "a second pass has nothing to do"
    );

    // Nix accepts the result and finds nothing more to link.
    oracle.run_ok(
        oracle
            .command("nix-store")
            .arg("--store")
            .arg(&root)
            .args(["--verify", "--check-contents"]),
    );
    let out = oracle.run(
        oracle
            .command("nix-store")
            .arg("--store")
            .arg(&root)
            .arg("--optimise"),
    );
    assert!(out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("0.00 MiB freed by hard-linking 0 files"),
        "{said}"
    );
}

#[test]
fn a_flat_add_of_a_symlink_stores_the_file_it_points_at() {
    let work = tempfile::tempdir().unwrap();
    let tree = sample_tree(work.path());
    let mut store = open(&work.path().join("store"));
    let link = work.path().join("link-to-file");
    std::os::unix::fs::symlink(tree.join("file"), &link).unwrap();
    // Through the link first, into an empty store: what lands is the file.
    let through_link = store
        .add_path(&link, &name("file"), FileIngestionMethod::Flat)
        .unwrap();
    assert!(
        std::fs::symlink_metadata(store.real_path(&through_link))
            .unwrap()
            .is_file()
    );
    assert!(store.verify(true).unwrap().is_ok());
    let direct = store
        .add_path(&tree.join("file"), &name("file"), FileIngestionMethod::Flat)
        .unwrap();
    assert_eq!(through_link, direct);
}

#[test]
fn resolve_accepts_store_paths_paths_inside_them_and_links_to_them() {
    let work = tempfile::tempdir().unwrap();
    let tree = sample_tree(work.path());
    let mut store = open(&work.path().join("store"));
    let path = store
        .add_path(&tree, &name("tree"), FileIngestionMethod::Recursive)
        .unwrap();
    let absolute = store.store_dir().display_path(&path);
    let result = work.path().join("result");
    std::os::unix::fs::symlink(&absolute, &result).unwrap();
    for given in [
        absolute.clone(),
        format!("{absolute}/sub/tool"),
        result.display().to_string(),
    ] {
        assert_eq!(store.resolve(Path::new(&given)).unwrap(), path, "{given}");
    }
    assert!(
        store.resolve(&tree).is_err(),
        "a path outside the store resolved"
    );
    assert_eq!(
        store.closure_size(&path).unwrap(),
        store.path_info(&path).unwrap().unwrap().nar_size
    );
}

#[test]
fn a_partial_text_file_left_by_a_crash_is_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = LocalStore::open(LocalStoreConfig::chroot(dir.path())).unwrap();
    let file = cairn_store::local::TextFile {
        name: StorePathName::new("note").unwrap(),
        contents: b"the whole text".to_vec(),
        references: BTreeSet::new(),
    };
    let path = file.store_path(store.store_dir()).unwrap();
    let real = store.real_path(&path);
    // A writer killed half-way: the file is there, unregistered and short.
    std::fs::write(&real, b"the wh").unwrap();
    assert_eq!(store.add_texts(&[file]).unwrap(), vec![path.clone()]);
    assert_eq!(std::fs::read(&real).unwrap(), b"the whole text");
    let meta = std::fs::metadata(&real).unwrap();
    assert_eq!((meta.mode() & 0o7777, meta.mtime()), (0o444, 1));
    assert!(store.verify(true).unwrap().is_ok());
}
