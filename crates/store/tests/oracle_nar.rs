//! Differential tests against the reference Nix: NAR bytes, `nix-hash`
//! output and store path computation.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;

use cairn_store::content_address::FileIngestionMethod;
use cairn_store::nar::{self, HashMode, NarNode};
use cairn_store::{Hash, HashAlgo, StoreDir, StorePathName};
use cairn_testkit::Oracle;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// Writes `node` to `path` on disk.
fn materialize(node: &NarNode, path: &Path) {
    match node {
        NarNode::Regular {
            executable,
            contents,
        } => {
            fs::write(path, contents).unwrap();
            let mode = if *executable { 0o755 } else { 0o644 };
            fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
        }
        NarNode::Symlink { target } => symlink(OsStr::from_bytes(target), path).unwrap(),
        NarNode::Directory(entries) => {
            fs::create_dir(path).unwrap();
            for (name, child) in entries {
                materialize(child, &path.join(OsStr::from_bytes(name)));
            }
        }
    }
}

fn nix_dump(oracle: &Oracle, path: &Path) -> Vec<u8> {
    oracle.run_ok(oracle.command("nix-store").arg("--dump").arg(path))
}

fn our_dump(path: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    let n = nar::dump_path(path, &mut out).unwrap();
    assert_eq!(n as usize, out.len());
    out
}

/// Entry names: plain, odd ASCII, non-UTF-8 bytes, UTF-8, dots.
fn name() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        "[a-z]{1,8}".prop_map(String::into_bytes),
        Just(b"-".to_vec()),
        Just(b"...".to_vec()),
        Just(b".hidden".to_vec()),
        Just(b"with space\nnewline\\".to_vec()),
        Just("caf\u{e9}-\u{1f600}".as_bytes().to_vec()),
        Just(b"\xff\xfe latin1 \xe9".to_vec()),
        Just(b"A".to_vec()),
        Just(b"a".to_vec()),
        Just(b"a.".to_vec()),
        proptest::collection::vec(1u8..=255, 1..20).prop_map(|mut v| {
            v.retain(|&c| c != b'/');
            if v.is_empty() || v == b"." || v == b".." {
                v = b"x".to_vec();
            }
            v
        }),
    ]
}

fn leaf() -> impl Strategy<Value = NarNode> {
    prop_oneof![
        (
            any::<bool>(),
            proptest::collection::vec(any::<u8>(), 0..300)
        )
            .prop_map(|(executable, contents)| NarNode::Regular {
                executable,
                contents
            }),
        // Mostly dangling targets, some with odd bytes.
        proptest::collection::vec(1u8..=255, 1..40).prop_map(|target| NarNode::Symlink { target }),
        Just(NarNode::Symlink {
            target: b"../x".to_vec()
        }),
        Just(NarNode::Directory(BTreeMap::new())),
    ]
}

fn tree() -> impl Strategy<Value = NarNode> {
    leaf().prop_recursive(4, 48, 6, |inner| {
        proptest::collection::btree_map(name(), inner, 0..6).prop_map(NarNode::Directory)
    })
}

#[test]
fn generated_trees_dump_like_nix_and_roundtrip() {
    let Some(oracle) = Oracle::require("generated_trees_dump_like_nix_and_roundtrip") else {
        return;
    };
    let mut runner = TestRunner::new(Config {
        cases: 48,
        ..Config::default()
    });
    runner
        .run(&tree(), |node| {
            let dir = tempfile::tempdir().unwrap();
            let root = dir.path().join("root");
            materialize(&node, &root);

            let ours = our_dump(&root);
            let theirs = nix_dump(&oracle, &root);
            prop_assert!(ours == theirs, "NAR differs from nix-store --dump");

            // The in-memory writer agrees with the filesystem writer.
            let mut from_memory = Vec::new();
            node.write_nar(&mut from_memory).unwrap();
            prop_assert!(from_memory == ours);

            // Reading gives back the tree; restoring then dumping gives back the NAR.
            prop_assert_eq!(nar::read_tree(&ours[..]).unwrap(), node);
            let restored = dir.path().join("restored");
            nar::restore(&ours[..], &restored).unwrap();
            prop_assert!(our_dump(&restored) == ours);
            Ok(())
        })
        .unwrap();
}

/// A deterministic multi-MiB pseudo-random buffer.
fn big_contents(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// A fixture tree covering every node kind, with a large executable file.
fn fixture(root: &Path) {
    fs::create_dir(root).unwrap();
    fs::write(root.join("empty"), b"").unwrap();
    fs::write(root.join("big"), big_contents(9 * 1024 * 1024 + 3)).unwrap();
    fs::set_permissions(root.join("big"), fs::Permissions::from_mode(0o755)).unwrap();
    fs::create_dir(root.join("sub")).unwrap();
    fs::create_dir(root.join("sub/emptydir")).unwrap();
    fs::write(root.join("sub/f"), b"hello\n").unwrap();
    symlink("../nowhere", root.join("sub/dangling")).unwrap();
    symlink("f", root.join("sub/link")).unwrap();
}

#[test]
fn large_tree_dumps_like_nix_and_roundtrips() {
    let Some(oracle) = Oracle::require("large_tree_dumps_like_nix_and_roundtrips") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    fixture(&root);
    let ours = our_dump(&root);
    assert!(
        ours == nix_dump(&oracle, &root),
        "NAR differs from nix-store --dump"
    );

    let restored = dir.path().join("restored");
    nar::restore(&ours[..], &restored).unwrap();
    assert!(our_dump(&restored) == ours);

    // And Nix restores our NAR to the same tree.
    let by_nix = dir.path().join("by-nix");
    let mut child = oracle
        .command("nix-store")
        .arg("--restore")
        .arg(&by_nix)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), &ours).unwrap();
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
    assert!(our_dump(&by_nix) == ours);
}

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap().trim_end().to_owned()
}

#[test]
fn hash_path_matches_nix_hash() {
    let Some(oracle) = Oracle::require("hash_path_matches_nix_hash") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    fixture(&root);
    let file = root.join("big");
    for algo in HashAlgo::ALL {
        for (mode, path) in [(HashMode::Recursive, &root), (HashMode::Flat, &file)] {
            let (hash, size) = nar::hash_path(path, algo, mode).unwrap();
            let mut base = oracle.command("nix-hash");
            base.args(["--type", algo.name()]);
            if mode == HashMode::Flat {
                base.arg("--flat");
                assert_eq!(size, fs::metadata(path).unwrap().len());
            } else {
                assert_eq!(size as usize, our_dump(path).len());
            }
            let b16 = text(oracle.run_ok(base.arg(path)));
            assert_eq!(hash.to_base16(), b16, "{algo} {mode:?} base16");

            let mut b32 = oracle.command("nix-hash");
            b32.args(["--type", algo.name(), "--base32"]);
            if mode == HashMode::Flat {
                b32.arg("--flat");
            }
            let b32 = text(oracle.run_ok(b32.arg(path)));
            assert_eq!(hash.to_nix_base32(), b32, "{algo} {mode:?} base32");

            // Nix 2.8's nix-hash has no --sri; `nix hash path|file` does.
            let sub = if mode == HashMode::Flat {
                "file"
            } else {
                "path"
            };
            let sri = text(
                oracle.run_ok(
                    oracle
                        .command("nix")
                        .args(["hash", sub, "--type", algo.name(), "--sri"])
                        .arg(path),
                ),
            );
            assert_eq!(hash.to_sri(), sri, "{algo} {mode:?} sri");
            assert_eq!(Hash::parse(&sri, None).unwrap(), hash);
            assert_eq!(Hash::parse(&b32, Some(algo)).unwrap(), hash);
            assert_eq!(Hash::parse(&b16, Some(algo)).unwrap(), hash);
        }
    }
}

#[test]
fn hash_conversions_match_nix() {
    let Some(oracle) = Oracle::require("hash_conversions_match_nix") else {
        return;
    };
    for algo in HashAlgo::ALL {
        let h = Hash::of(algo, b"cairn");
        let b32 = text(oracle.run_ok(oracle.command("nix-hash").args([
            "--type",
            algo.name(),
            "--to-base32",
            &h.to_base16(),
        ])));
        assert_eq!(h.to_nix_base32(), b32);
        let sri = text(oracle.run_ok(oracle.command("nix").args([
            "hash",
            "to-sri",
            "--type",
            algo.name(),
            &b32,
        ])));
        assert_eq!(h.to_sri(), sri);
    }
}

/// Runs `nix-store --store <chroot> <args> <path>` and returns the store path it prints.
fn nix_add(oracle: &Oracle, store: &Path, args: &[&str], path: &Path) -> String {
    text(
        oracle.run_ok(
            oracle
                .command("nix-store")
                .arg("--store")
                .arg(store)
                .args(args)
                .arg(path),
        ),
    )
}

#[test]
fn store_paths_match_nix_store_add() {
    let Some(oracle) = Oracle::require("store_paths_match_nix_store_add") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let store_dir = StoreDir::default();
    let tree = dir.path().join("tree");
    fs::create_dir(&tree).unwrap();
    fs::write(tree.join("a"), b"a\n").unwrap();
    symlink("a", tree.join("l")).unwrap();
    let file = dir.path().join("file.txt");
    fs::write(&file, b"some contents\n").unwrap();

    for path in [&tree, &file] {
        let name = StorePathName::new(path.file_name().unwrap().to_str().unwrap()).unwrap();
        let (nar_sha256, _) = nar::hash_path(path, HashAlgo::Sha256, HashMode::Recursive).unwrap();

        // nix-store --add: a source path from the NAR hash.
        let ours = store_dir.make_source_path(&name, &nar_sha256, &BTreeSet::new(), false);
        assert_eq!(
            ours.to_absolute(&store_dir),
            nix_add(&oracle, &store, &["--add"], path)
        );

        // --add-fixed --recursive for every algorithm.
        for algo in HashAlgo::ALL {
            let (h, _) = nar::hash_path(path, algo, HashMode::Recursive).unwrap();
            let ours = store_dir
                .make_fixed_output_path(
                    &name,
                    FileIngestionMethod::Recursive,
                    &h,
                    &BTreeSet::new(),
                    false,
                )
                .unwrap();
            let theirs = nix_add(
                &oracle,
                &store,
                &["--add-fixed", "--recursive", algo.name()],
                path,
            );
            assert_eq!(ours.to_absolute(&store_dir), theirs, "recursive {algo}");
        }
    }

    // Flat --add-fixed on the file for every algorithm.
    let name = StorePathName::new("file.txt").unwrap();
    for algo in HashAlgo::ALL {
        let (h, _) = nar::hash_path(&file, algo, HashMode::Flat).unwrap();
        let ours = store_dir
            .make_fixed_output_path(
                &name,
                FileIngestionMethod::Flat,
                &h,
                &BTreeSet::new(),
                false,
            )
            .unwrap();
        let theirs = nix_add(&oracle, &store, &["--add-fixed", algo.name()], &file);
        assert_eq!(ours.to_absolute(&store_dir), theirs, "flat {algo}");
    }
}

#[test]
fn text_paths_with_references_match_nix() {
    let Some(oracle) = Oracle::require("text_paths_with_references_match_nix") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let expr = r#"let a = builtins.toFile "a" "A"; b = builtins.toFile "b" "B";
                  in [ a b (builtins.toFile "both" "${b} and ${a}") ]"#;
    let out = text(
        oracle.run_ok(
            oracle
                .command("nix-instantiate")
                .arg("--store")
                .arg(&store)
                .args(["--eval", "--strict", "--json", "-E", expr]),
        ),
    );
    let paths: Vec<String> = out
        .trim_matches(|c| c == '[' || c == ']')
        .split(',')
        .map(|s| s.trim_matches('"').to_owned())
        .collect();
    let store_dir = StoreDir::default();
    let sha = |s: &[u8]| Hash::of(HashAlgo::Sha256, s);
    let a = store_dir
        .make_text_path(
            &StorePathName::new("a").unwrap(),
            &sha(b"A"),
            &BTreeSet::new(),
        )
        .unwrap();
    let b = store_dir
        .make_text_path(
            &StorePathName::new("b").unwrap(),
            &sha(b"B"),
            &BTreeSet::new(),
        )
        .unwrap();
    let contents = format!(
        "{} and {}",
        b.to_absolute(&store_dir),
        a.to_absolute(&store_dir)
    );
    let both = store_dir
        .make_text_path(
            &StorePathName::new("both").unwrap(),
            &sha(contents.as_bytes()),
            &BTreeSet::from([a.clone(), b.clone()]),
        )
        .unwrap();
    let ours: Vec<String> = [a, b, both]
        .iter()
        .map(|p| p.to_absolute(&store_dir))
        .collect();
    assert_eq!(ours, paths);
}
