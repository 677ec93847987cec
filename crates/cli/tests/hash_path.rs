//! `cairn store hash-path` prints what `nix-hash` prints, for every
//! algorithm, every base and both modes.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::process::Command;

#[test]
fn hash_path_prints_what_nix_hash_prints() {
    let Some(oracle) = cairn_testkit::Oracle::require("cli::hash_path_prints_what_nix_hash_prints")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    std::fs::create_dir_all(tree.join("sub")).unwrap();
    std::fs::write(tree.join("sub/data"), vec![7u8; 100_000]).unwrap();
    std::os::unix::fs::symlink("sub/data", tree.join("link")).unwrap();
    let file = tree.join("sub/data");
    let mut compared = 0;
    for algo in ["md5", "sha1", "sha256", "sha512"] {
        // nix-hash 2.8 has no --sri; `nix hash path|file --sri` is its SRI form.
        for base in ["", "--base16", "--base32", "--sri"] {
            for (flat, path) in [(false, &tree), (true, &file)] {
                let mut ours = Command::new(env!("CARGO_BIN_EXE_cairn"));
                ours.args(["store", "hash-path", "--type", algo]);
                let mut theirs = if base == "--sri" {
                    let mut c = oracle.command("nix");
                    c.args([
                        "hash",
                        if flat { "file" } else { "path" },
                        "--sri",
                        "--type",
                        algo,
                    ]);
                    c
                } else {
                    let mut c = oracle.command("nix-hash");
                    c.args(["--type", algo]);
                    // Base16 is nix-hash's default, and it has no flag for it.
                    if base == "--base32" {
                        c.arg(base);
                    }
                    if flat {
                        c.arg("--flat");
                    }
                    c
                };
                if !base.is_empty() {
                    ours.arg(base);
                }
                if flat {
                    ours.arg("--flat");
                }
                let ours = ours.arg(path).output().unwrap();
                let theirs = oracle.run_ok(theirs.arg(path));
                assert!(
                    ours.status.success(),
                    "{}",
                    String::from_utf8_lossy(&ours.stderr)
                );
                assert_eq!(ours.stdout, theirs, "{algo} {base} flat={flat}");
                compared += 1;
            }
        }
    }
    assert_eq!(compared, 32);
}
