//! A `cairn store gc` killed with SIGKILL at random moments leaves a store
//! that both cairn and Nix verify, with every live path intact; a final
//! collection then finishes the job.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use cairn_store::local::{LocalStore, LocalStoreConfig, TextFile};
use cairn_store::path::{StorePath, StorePathName};
use cairn_testkit::Oracle;

/// xorshift64, seeded from the clock; the seed is printed so that a
/// failing run can be repeated.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Adds `count` paths, each referring to the one before, in chains of 10;
/// returns them.
fn add_chains(root: &Path, tag: &str, count: usize) -> Vec<StorePath> {
    let mut store = LocalStore::open(LocalStoreConfig {
        fsync: false,
        ..LocalStoreConfig::chroot(root)
    })
    .unwrap();
    let mut files = Vec::with_capacity(count);
    let mut paths: Vec<StorePath> = Vec::with_capacity(count);
    for i in 0..count {
        let references: BTreeSet<StorePath> = if i % 10 == 0 {
            BTreeSet::new()
        } else {
            BTreeSet::from([paths[i - 1].clone()])
        };
        let file = TextFile {
            name: StorePathName::new(&format!("{tag}-{i}")).unwrap(),
            contents: format!("{tag} {i}").into_bytes(),
            references,
        };
        paths.push(file.store_path(store.store_dir()).unwrap());
        files.push(file);
    }
    store.add_texts(&files).unwrap();
    paths
}

#[test]
fn a_killed_collection_leaves_a_store_both_tools_verify() {
    let Some(oracle) = Oracle::require("cli::a_killed_collection_leaves_a_store_both_tools_verify")
    else {
        return;
    };
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("seed {seed}");
    let mut rng = Rng(seed);
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("store");
    let live = add_chains(&root, "live", 200);
    let gcroots = root.join("nix/var/nix/gcroots");
    std::fs::create_dir_all(&gcroots).unwrap();
    // The last of each chain keeps the whole chain.
    for (i, path) in live.iter().enumerate().filter(|(i, _)| i % 10 == 9) {
        std::os::unix::fs::symlink(
            format!("/nix/store/{path}"),
            gcroots.join(format!("live-{i}")),
        )
        .unwrap();
    }
    let cairn = |args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_cairn"));
        command.arg("--store").arg(&root).args(args);
        command
    };
    let mut dead = Vec::new();
    for round in 0..6 {
        dead.extend(add_chains(&root, &format!("dead{round}"), 2_000));
        let entries = || std::fs::read_dir(root.join("nix/store")).unwrap().count();
        let before = entries();
        let mut child = cairn(&["store", "gc"]).spawn().unwrap();
        if round % 2 == 1 {
            // Into the deleting: wait for the first file to go (or the
            // collection to end), then a little more.
            while entries() >= before && child.try_wait().unwrap().is_none() {
                std::thread::sleep(Duration::from_millis(2));
            }
            std::thread::sleep(Duration::from_millis(rng.below(20)));
        } else {
            // Anywhere, most likely while it finds roots and loads the graph.
            std::thread::sleep(Duration::from_millis(rng.below(400)));
        }
        // `Child::kill` sends SIGKILL on Unix; the child may have ended.
        let _ = child.kill();
        let status = child.wait().unwrap();
        eprintln!("round {round}: gc ended with {status}");

        let verify = cairn(&["store", "verify"]).output().unwrap();
        assert!(verify.status.success(), "round {round}: {verify:?}");
        oracle.run_ok(
            oracle
                .command("nix-store")
                .arg("--store")
                .arg(&root)
                .arg("--verify"),
        );
        let store = LocalStore::open(LocalStoreConfig::chroot(&root)).unwrap();
        for path in &live {
            assert!(store.is_valid(path).unwrap(), "round {round}: {path} lost");
        }
        let left = store.valid_paths().unwrap().len() - live.len();
        eprintln!("round {round}: {left} dead paths left of {}", dead.len());
    }
    let done = cairn(&["store", "gc"]).output().unwrap();
    assert!(done.status.success(), "{done:?}");
    let store = LocalStore::open(LocalStoreConfig::chroot(&root)).unwrap();
    for path in &dead {
        assert!(!store.is_valid(path).unwrap(), "{path} survived");
        assert!(!store.real_path(path).exists(), "{path} left its file");
    }
    assert_eq!(store.valid_paths().unwrap().len(), live.len());
    oracle.run_ok(
        oracle
            .command("nix-store")
            .arg("--store")
            .arg(&root)
            .arg("--verify"),
    );
}
