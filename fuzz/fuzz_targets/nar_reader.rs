//! Fuzzes the NAR reader: listing, in-memory reading and restoring into a
//! temporary directory must never panic, and anything accepted must
//! round-trip to the same bytes.
#![no_main]

use cairn_store::nar;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let listed = nar::list(data);

    // Accepted archives are canonical: writing the tree back gives the input.
    if let Ok(tree) = nar::read_tree(data) {
        assert!(listed.is_ok());
        let mut again = Vec::new();
        tree.write_nar(&mut again).expect("writing to a Vec cannot fail");
        assert_eq!(again, data);
    } else {
        assert!(listed.is_err());
    }

    let Ok(dir) = tempfile::tempdir() else { return };
    let target = dir.path().join("out");
    if nar::restore(data, &target).is_ok() {
        let mut again = Vec::new();
        nar::dump_path(&target, &mut again).expect("dumping what we restored");
        assert_eq!(again, data);
    }
    // Nothing but the target may exist in the temporary directory.
    let count = std::fs::read_dir(dir.path()).map(|d| d.count()).unwrap_or(0);
    assert!(count <= 1);
});
