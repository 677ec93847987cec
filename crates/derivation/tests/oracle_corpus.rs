//! Differential test: Nix instantiates every derivation of `corpus.nix` into
//! a chroot store; cairn must parse each `.drv` Nix wrote (the corpus's and
//! the sources' closure), print it back to the same bytes, and compute the
//! same `.drv` path and output paths.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

mod common;

use cairn_derivation::HashModuloCache;
use cairn_store::path::StorePath;

#[test]
fn corpus_derivations_agree_with_nix() {
    let Some(oracle) =
        cairn_testkit::Oracle::require("derivation::corpus_derivations_agree_with_nix")
    else {
        return;
    };
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let store = tempfile::tempdir().unwrap();
    oracle.run_ok(
        oracle
            .command("nix-instantiate")
            .arg("--store")
            .arg(store.path())
            .arg(manifest.join("tests/corpus.nix")),
    );
    let store_dir = store.path().join("nix/store");
    let mut cache = HashModuloCache::new();
    let mut checked = 0;
    for entry in std::fs::read_dir(&store_dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if !name.ends_with(".drv") {
            continue;
        }
        let path: StorePath = name.parse().unwrap();
        common::check_drv_written_by_nix(&store_dir, &path, &mut cache);
        checked += 1;
    }
    assert!(
        checked >= 29,
        "only {checked} derivations were instantiated"
    );
}
