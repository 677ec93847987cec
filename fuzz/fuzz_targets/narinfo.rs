//! Feeds arbitrary bytes to the narinfo and nix-cache-info parsers.
//!
//! Invariants: the parsers never panic, and whatever parses prints to text
//! that parses back to the same value.
#![no_main]

use cairn_cache::{NarInfo, NixCacheInfo};
use cairn_store::path::StoreDir;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let store_dir = StoreDir::default();
    if let Ok(info) = NarInfo::parse(&store_dir, text) {
        let printed = info.to_string();
        let again = NarInfo::parse(&store_dir, &printed).expect("printed narinfo parses");
        assert_eq!(again, info);
        assert_eq!(again.to_string(), printed);
    }
    if let Ok(info) = NixCacheInfo::parse(text) {
        assert_eq!(NixCacheInfo::parse(&info.to_string()).as_ref(), Ok(&info));
    }
});
