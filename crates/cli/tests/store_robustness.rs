//! The store under abuse: add-to-store killed at arbitrary moments, and many
//! processes adding at once. Afterwards every registered path must be
//! complete, and every path added exactly once.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn cairn(store: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cairn"));
    command.arg("--store").arg(store).stdin(Stdio::null());
    command
}

/// A tree of `files` files of `size` bytes each, distinct per `seed`.
fn make_tree(dir: &Path, seed: u64, files: usize, size: usize) -> PathBuf {
    let root = dir.join(format!("tree-{seed}"));
    for i in 0..files {
        let sub = root.join(format!("d{}", i % 7));
        std::fs::create_dir_all(&sub).unwrap();
        let byte = (seed as usize * 31 + i) as u8;
        std::fs::write(sub.join(format!("f{i}")), vec![byte; size]).unwrap();
    }
    root
}

fn verify_ok(store: &Path) {
    let out = cairn(store)
        .args(["store", "verify", "--check-contents"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the store does not verify:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn added_path(child: Child) -> String {
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[test]
fn killing_add_at_any_moment_never_registers_a_partial_path() {
    let work = tempfile::tempdir().unwrap();
    let store = work.path().join("store");
    let trees: Vec<PathBuf> = (0..3)
        .map(|seed| make_tree(work.path(), seed, 300, 16 * 1024))
        .collect();
    // A fixed pseudo-random sequence of delays: reproducible, yet spread
    // over the whole life of an add (start-up, copy, rename, registration).
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    for round in 0..40 {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        // An add of one tree takes about 0.1 s in a debug build.
        let delay = Duration::from_micros((state >> 33) % 150_000);
        let tree = &trees[round % trees.len()];
        let mut child = cairn(&store)
            .args(["store", "add"])
            .arg(tree)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = child.kill();
        let _ = child.wait();
        verify_ok(&store);
    }
    // Every tree still adds, and then verifies in full.
    for tree in &trees {
        let child = cairn(&store)
            .args(["store", "add"])
            .arg(tree)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        added_path(child);
    }
    verify_ok(&store);
}

#[test]
fn eight_processes_adding_at_once_each_path_valid_and_registered_once() {
    let work = tempfile::tempdir().unwrap();
    let store = work.path().join("store");
    // Two trees that everyone adds, and one per process.
    let shared: Vec<PathBuf> = (100..102)
        .map(|seed| make_tree(work.path(), seed, 50, 8 * 1024))
        .collect();
    let own: Vec<PathBuf> = (0..8)
        .map(|seed| make_tree(work.path(), seed, 50, 8 * 1024))
        .collect();
    let children: Vec<(usize, Child)> = (0..8)
        .flat_map(|i| {
            let mut list = vec![
                shared[i % 2].clone(),
                own[i].clone(),
                shared[(i + 1) % 2].clone(),
            ];
            list.rotate_left(i % 3);
            list.into_iter().map(move |tree| (i, tree))
        })
        .map(|(i, tree)| {
            let child = cairn(&store)
                .args(["store", "add"])
                .arg(&tree)
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            (i, child)
        })
        .collect();
    let mut paths: Vec<String> = children
        .into_iter()
        .map(|(_, child)| added_path(child))
        .collect();
    paths.sort();
    paths.dedup();
    assert_eq!(paths.len(), 10, "two shared and eight own paths: {paths:?}");
    verify_ok(&store);
    let out = cairn(&store)
        .args(["store", "path-info", "--json"])
        .args(&paths)
        .output()
        .unwrap();
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(info.as_object().unwrap().len(), 10);
    let staged: Vec<_> = std::fs::read_dir(store.join("nix/store"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".cairn-add-") || n.ends_with(".lock"))
        .collect();
    assert!(staged.is_empty(), "left behind: {staged:?}");
}
