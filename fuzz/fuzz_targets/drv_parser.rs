//! Parses arbitrary bytes as a `.drv` file. Parsing must never panic; what
//! parses prints to text that parses back to the same derivation and
//! prints the same again.
#![no_main]

use cairn_derivation::aterm;
use cairn_store::path::{StoreDir, StorePathName};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let store_dir = StoreDir::default();
    let Ok(name) = StorePathName::new("fuzz") else {
        return;
    };
    let Ok(drv) = aterm::parse(data, &store_dir, name.clone()) else {
        return;
    };
    let printed = aterm::print(&drv, &store_dir).expect("a parsed derivation prints");
    let again = aterm::parse(&printed, &store_dir, name).expect("printed output parses");
    assert_eq!(again, drv);
    let reprinted = aterm::print(&again, &store_dir).expect("a parsed derivation prints");
    assert_eq!(reprinted, printed);
});
