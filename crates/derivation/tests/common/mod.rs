//! Checks shared by the fixture and oracle tests.

use std::path::Path;

use cairn_derivation::{Derivation, DerivationError, HashModuloCache, Output};
use cairn_store::path::{StoreDir, StorePath, StorePathName};

/// Reads and parses the `.drv` at `path` (named `<hash>-<name>.drv`) in a
/// directory of `.drv` files laid out like a store directory.
pub fn read_drv(dir: &Path, path: &StorePath) -> Result<(Vec<u8>, Derivation), DerivationError> {
    let bytes = std::fs::read(dir.join(path.to_string()))
        .unwrap_or_else(|e| panic!("reading {path} from {}: {e}", dir.display()));
    let name = path
        .name()
        .as_str()
        .strip_suffix(".drv")
        .expect("a .drv path");
    let drv =
        cairn_derivation::aterm::parse(&bytes, &StoreDir::default(), StorePathName::new(name)?)?;
    Ok((bytes, drv))
}

/// Everything cairn must agree with Nix on for one `.drv` that Nix wrote
/// into `dir`: the bytes round-trip, the `.drv` path, and the output paths
/// recomputed from scratch (outputs masked, hashed modulo, filled in).
pub fn check_drv_written_by_nix(dir: &Path, path: &StorePath, cache: &mut HashModuloCache) {
    let store_dir = StoreDir::default();
    let (bytes, drv) = read_drv(dir, path).unwrap_or_else(|e| panic!("parsing {path}: {e}"));
    assert_eq!(
        drv.to_aterm(&store_dir)
            .expect("printing a parsed derivation"),
        bytes,
        "{path}: printing the parsed derivation changes its bytes"
    );
    assert_eq!(
        &drv.drv_path(&store_dir).unwrap(),
        path,
        "{path}: the .drv path differs"
    );

    let mut recomputed = drv.clone();
    for output in recomputed.outputs.values_mut() {
        if matches!(output, Output::InputAddressed(_)) {
            *output = Output::Deferred;
        }
    }
    recomputed
        .fill_input_addressed_outputs(&store_dir, cache, &mut |input| {
            read_drv(dir, input).map(|(_, d)| d)
        })
        .unwrap_or_else(|e| panic!("{path}: computing output paths: {e}"));
    assert_eq!(
        recomputed, drv,
        "{path}: recomputed outputs differ from Nix's"
    );
}
