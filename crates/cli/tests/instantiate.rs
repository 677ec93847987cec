//! `cairn instantiate` against `nix-instantiate`: the corpus in
//! `tests/drv-corpus/` is instantiated by both into fresh stores, which must
//! then hold the same paths with the same contents (so the same `.drv`
//! paths, byte-identical `.drv` files and therefore the same output paths),
//! and both must print the same lines.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use cairn_derivation::Derivation;
use cairn_store::hash::HashAlgo;
use cairn_store::nar::{HashMode, hash_path};
use cairn_store::path::{StoreDir, StorePath};
use cairn_testkit::Oracle;

const CORPUS: &[&str] = &["basics", "fixed", "structured", "sources", "graph"];

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/drv-corpus")
}

fn cairn(store: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cairn"))
        .arg("--store")
        .arg(store)
        .args(args)
        .current_dir(corpus_dir())
        .output()
        .unwrap()
}

/// The names in a chroot store's store directory (no locks, no temp files).
fn store_entries(root: &Path) -> Vec<String> {
    let dir = root.join("nix/store");
    let mut names: Vec<String> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with('.') && !n.ends_with(".lock"))
            .collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    names
}

#[test]
fn corpus_gives_the_same_drv_files_as_nix() {
    let Some(nix) = Oracle::require("corpus_gives_the_same_drv_files_as_nix") else {
        return;
    };
    let scratch = tempfile::tempdir().unwrap();
    let mut derivations = 0;
    let mut problems = Vec::new();
    for name in CORPUS {
        let file = format!("{name}.nix");
        let (nix_store, cairn_store) = (
            scratch.path().join(format!("nix-{name}")),
            scratch.path().join(format!("cairn-{name}")),
        );
        let want = nix.run_ok(
            nix.command("nix-instantiate")
                .arg("--store")
                .arg(&nix_store)
                .arg(&file)
                .current_dir(corpus_dir()),
        );
        let got = cairn(&cairn_store, &["instantiate", &file]);
        assert!(
            got.status.success(),
            "{file}: {}",
            String::from_utf8_lossy(&got.stderr)
        );
        if got.stdout != want {
            problems.push(format!(
                "{file}: printed\n{}\ninstead of\n{}",
                String::from_utf8_lossy(&got.stdout),
                String::from_utf8_lossy(&want)
            ));
        }
        let (theirs, ours) = (store_entries(&nix_store), store_entries(&cairn_store));
        if theirs != ours {
            problems.push(format!(
                "{file}: the stores differ:\nnix:   {theirs:?}\ncairn: {ours:?}"
            ));
            continue;
        }
        for entry in &theirs {
            let (a, b) = (
                nix_store.join("nix/store").join(entry),
                cairn_store.join("nix/store").join(entry),
            );
            let same = hash_path(&a, HashAlgo::Sha256, HashMode::Recursive).unwrap()
                == hash_path(&b, HashAlgo::Sha256, HashMode::Recursive).unwrap();
            if !same {
                problems.push(format!("{file}: {entry} has different contents"));
            }
            if entry.ends_with(".drv") {
                derivations += 1;
                // cairn-derivation reads what Nix wrote and writes it back
                // byte for byte.
                let bytes = std::fs::read(&a).unwrap();
                let path = StorePath::from_base_name(entry).unwrap();
                let drv = Derivation::from_drv_file(&bytes, &StoreDir::default(), &path).unwrap();
                if drv.to_aterm(&StoreDir::default()).unwrap() != bytes {
                    problems.push(format!(
                        "{file}: {entry} does not re-serialise to Nix's bytes"
                    ));
                }
            }
        }
        // Nix reads cairn's store: every path registered, with the
        // references and hashes it expects.
        let verify = nix.run(
            nix.command("nix-store")
                .arg("--store")
                .arg(&cairn_store)
                .args(["--verify", "--check-contents"]),
        );
        // It reports progress on stderr; anything else is a complaint.
        let complaints: Vec<&str> = std::str::from_utf8(&verify.stderr)
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with("reading the Nix store") && !l.starts_with("checking "))
            .collect();
        if !verify.status.success() || !complaints.is_empty() {
            problems.push(format!(
                "{file}: nix-store --verify on cairn's store: {}",
                String::from_utf8_lossy(&verify.stderr)
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    assert!(
        derivations >= 150,
        "the corpus has only {derivations} derivations"
    );
}

#[test]
fn dry_run_prints_the_same_paths_and_writes_nothing() {
    let scratch = tempfile::tempdir().unwrap();
    let (real, dry) = (scratch.path().join("real"), scratch.path().join("dry"));
    let written = cairn(&real, &["instantiate", "fixed.nix"]);
    assert!(written.status.success());
    let dry_out = cairn(&dry, &["instantiate", "--dry-run", "fixed.nix"]);
    assert!(
        dry_out.status.success(),
        "{}",
        String::from_utf8_lossy(&dry_out.stderr)
    );
    assert_eq!(dry_out.stdout, written.stdout);
    assert!(!dry.exists(), "a dry run created the store");
}

#[test]
fn add_root_links_and_registers_each_derivation() {
    let scratch = tempfile::tempdir().unwrap();
    let store = scratch.path().join("store");
    let link = scratch.path().join("result");
    let out = cairn(
        &store,
        &[
            "instantiate",
            "basics.nix",
            "-A",
            "multi-first-dev",
            "-A",
            "plain",
            "--add-root",
            link.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let link2 = scratch.path().join("result-2");
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("{}!dev\n{}\n", link.display(), link2.display())
    );
    for l in [&link, &link2] {
        let target = std::fs::read_link(l).unwrap();
        assert!(target.starts_with("/nix/store"), "{}", target.display());
    }
    let auto: Vec<_> = std::fs::read_dir(store.join("nix/var/nix/gcroots/auto"))
        .unwrap()
        .map(|e| std::fs::read_link(e.unwrap().path()).unwrap())
        .collect();
    assert_eq!(auto.len(), 2);
    assert!(auto.contains(&link) && auto.contains(&link2));
}

/// Expressions that must fail, each with the message it must show; none may
/// leave anything in the store.
const INVALID: &[(&str, &str)] = &[
    (
        r#"derivation { system = "x"; builder = "y"; }"#,
        "attribute 'name' missing",
    ),
    (
        r#"derivation { name = "a b"; system = "x"; builder = "y"; }"#,
        "invalid derivation name",
    ),
    (
        r#"derivation { name = ""; system = "x"; builder = "y"; }"#,
        "invalid derivation name",
    ),
    (
        r#"derivation { name = "a.drv"; system = "x"; builder = "y"; }"#,
        "not allowed to end in '.drv'",
    ),
    (
        r#"derivation { name = "a"; builder = "y"; }"#,
        "required attribute 'system' missing",
    ),
    (
        r#"derivation { name = "a"; system = "x"; }"#,
        "required attribute 'builder' missing",
    ),
    (
        r#"derivationStrict { name = "a"; system = "x"; builder = "y"; outputs = [ ]; }"#,
        "empty set of outputs",
    ),
    (
        r#"derivation { name = "a"; system = "x"; builder = "y"; outputs = [ "out" "out" ]; }"#,
        "duplicate derivation output 'out'",
    ),
    (
        r#"derivation { name = "a"; system = "x"; builder = "y"; outputs = [ "drv" ]; }"#,
        "invalid derivation output name 'drv'",
    ),
    (
        r#"derivation { name = "a"; system = "x"; builder = "y"; outputs = [ "a/b" ]; }"#,
        "invalid derivation output name",
    ),
    (
        r#"derivation { name = "a"; system = "x"; builder = "y"; outputHash = "abc"; outputHashAlgo = "sha256"; }"#,
        "invalid 'outputHash'",
    ),
    (
        r#"derivation { name = "a"; system = "x"; builder = "y"; outputHash = "sha256-AAAA"; }"#,
        "invalid 'outputHash'",
    ),
    (
        r#"derivation { name = "a"; system = "x"; builder = "y"; outputHash = "0000000000000000000000000000000000000000000000000000000000000000"; }"#,
        "invalid 'outputHash'",
    ),
    (
        r#"derivation { name = "a"; system = "x"; builder = "y"; outputHash = "sha256-LCa0a2j/xo/5m0U8HTBBNBNCLXBkg7+g+YpeiGJm564="; outputHashAlgo = "md5"; }"#,
        "invalid 'outputHash'",
    ),
    (
        r#"derivation { name = "a"; system = "x"; builder = "y"; outputHash = "sha256-LCa0a2j/xo/5m0U8HTBBNBNCLXBkg7+g+YpeiGJm564="; outputHashMode = "deep"; }"#,
        "invalid value 'deep' for 'outputHashMode'",
    ),
    (
        r#"derivation { name = "a"; system = "x"; builder = "y"; outputs = [ "out" "dev" ]; outputHash = "sha256-LCa0a2j/xo/5m0U8HTBBNBNCLXBkg7+g+YpeiGJm564="; }"#,
        "multiple outputs are not supported in fixed-output derivations",
    ),
    (
        r#"derivation { name = "a"; system = "x"; builder = "y"; f = x: x; }"#,
        "cannot coerce a function to a string",
    ),
    (
        r#"derivation { name = "a"; system = "x"; builder = "y"; s = { }; }"#,
        "cannot coerce a set to a string",
    ),
    (
        r#"derivation { name = "a"; system = "x"; builder = "y"; __structuredAttrs = true; f = x: x; }"#,
        "cannot convert a function to JSON",
    ),
    // The context is made by hand so that no derivation gets written first.
    (
        r#"builtins.toFile "t" (builtins.appendContext "x" { "/nix/store/046nslrgj26ds8rqyxhbhvccjr73hxwh-a.drv" = { outputs = [ "out" ]; }; })"#,
        "must not contain a reference to a derivation",
    ),
    (
        r#"builtins.toFile "t" (builtins.appendContext "x" { "/nix/store/046nslrgj26ds8rqyxhbhvccjr73hxwh-a.drv" = { allOutputs = true; }; })"#,
        "must not contain a reference to a derivation",
    ),
    (r#"builtins.toFile "bad name" "x""#, "in 'toFile'"),
    (
        r#"builtins.path { path = ./basics.nix; bogus = 1; }"#,
        "unsupported argument 'bogus' to 'addPath'",
    ),
    (
        r#"builtins.path { path = ./basics.nix; sha256 = "sha256-LCa0a2j/xo/5m0U8HTBBNBNCLXBkg7+g+YpeiGJm564="; }"#,
        "store path mismatch",
    ),
    (
        r#"builtins.storePath "/etc/passwd""#,
        "is not in the Nix store",
    ),
    (
        r#"derivation { name = "a"; system = "x"; builder = "y"; __contentAddressed = true; }"#,
        "experimental",
    ),
];

#[test]
fn invalid_derivations_fail_clearly_and_write_nothing() {
    let scratch = tempfile::tempdir().unwrap();
    let mut problems = Vec::new();
    for (i, (expr, message)) in INVALID.iter().enumerate() {
        let store = scratch.path().join(format!("s{i}"));
        let out = cairn(&store, &["instantiate", "-E", expr]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if out.status.code() != Some(1) || !stderr.contains(message) {
            problems.push(format!(
                "{expr}\n  exit {:?}, wanted a message with {message:?}, got:\n{stderr}",
                out.status.code()
            ));
        }
        let left = store_entries(&store);
        if !left.is_empty() {
            problems.push(format!("{expr}\n  left {left:?} in the store"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn nix_fails_on_the_same_invalid_derivations() {
    let Some(nix) = Oracle::require("nix_fails_on_the_same_invalid_derivations") else {
        return;
    };
    let scratch = tempfile::tempdir().unwrap();
    let mut accepted = Vec::new();
    for (i, (expr, _)) in INVALID.iter().enumerate() {
        // Nix 2.8 does not know `addDrvOutputDependencies`-era features; every
        // case here is one it rejects too.
        let out = nix.run(
            nix.command("nix-instantiate")
                .arg("--store")
                .arg(scratch.path().join(format!("s{i}")))
                .args(["-E", expr])
                .current_dir(corpus_dir()),
        );
        if out.status.success() {
            accepted.push(*expr);
        }
    }
    assert!(accepted.is_empty(), "Nix accepts: {accepted:#?}");
}
