//! `.drv` files written by Nix 2.8, kept in `tests/fixtures/`: they parse,
//! print back to the same bytes, and their paths and output paths come out
//! as Nix computed them.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

mod common;

use cairn_derivation::HashModuloCache;
use cairn_store::path::StorePath;

#[test]
fn drv_files_written_by_nix_round_trip_and_hash_alike() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut cache = HashModuloCache::new();
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let path: StorePath = name.parse().unwrap();
        common::check_drv_written_by_nix(&dir, &path, &mut cache);
        checked += 1;
    }
    assert!(checked >= 2, "only {checked} fixtures found");
}
