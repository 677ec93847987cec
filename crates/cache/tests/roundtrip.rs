//! Property tests: printing then parsing a narinfo gives it back, and the
//! parsers never panic.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::collections::BTreeSet;

use cairn_cache::{Compression, NarInfo, NixCacheInfo, SecretKey, Signature};
use cairn_store::content_address::{ContentAddress, FileIngestionMethod};
use cairn_store::hash::{Hash, HashAlgo};
use cairn_store::path::{StoreDir, StorePath};
use proptest::prelude::*;

fn store_dir() -> impl Strategy<Value = StoreDir> {
    prop_oneof![
        Just(StoreDir::default()),
        "(/[a-z0-9_]{1,8}){1,3}".prop_map(|d| StoreDir::new(d).unwrap()),
    ]
}

fn store_path() -> impl Strategy<Value = StorePath> {
    (any::<[u8; 20]>(), "[a-zA-Z0-9+_?=][a-zA-Z0-9+._?=-]{0,40}")
        .prop_map(|(hash, name)| StorePath::new(hash, name.parse().unwrap()))
}

fn hash(algos: &'static [HashAlgo]) -> impl Strategy<Value = Hash> {
    (
        prop::sample::select(algos),
        prop::collection::vec(any::<u8>(), 64),
    )
        .prop_map(|(algo, bytes)| Hash::from_digest(algo, &bytes[..algo.size()]).unwrap())
}

fn content_address() -> impl Strategy<Value = ContentAddress> {
    prop_oneof![
        hash(&[HashAlgo::Sha256]).prop_map(ContentAddress::Text),
        (any::<bool>(), hash(&HashAlgo::ALL)).prop_map(|(recursive, hash)| {
            ContentAddress::Fixed {
                method: if recursive {
                    FileIngestionMethod::Recursive
                } else {
                    FileIngestionMethod::Flat
                },
                hash,
            }
        }),
    ]
}

fn signature() -> impl Strategy<Value = Signature> {
    ("[a-z0-9.-]{1,20}", any::<[u8; 32]>(), any::<Vec<u8>>())
        .prop_map(|(name, seed, msg)| SecretKey::from_seed(&name, &seed).unwrap().sign(&msg))
}

prop_compose! {
    fn narinfo()(
        store_dir in store_dir(),
        store_path in store_path(),
        url in "[^\n]{1,60}",
        compression in prop::sample::select(&Compression::ALL[..]),
        file_hash in prop::option::of(hash(&HashAlgo::ALL)),
        file_size in prop::option::of(any::<u64>()),
        nar_hash in hash(&HashAlgo::ALL),
        nar_size in 1..=u64::MAX,
        references in prop::collection::btree_set(store_path(), 0..5),
        deriver in prop::option::of(store_path()),
        system in prop::option::of("[^\n]{1,20}"),
        signatures in prop::collection::btree_set(signature(), 0..4),
        ca in prop::option::of(content_address()),
    ) -> NarInfo {
        NarInfo {
            store_dir, store_path, url, compression, file_hash, file_size, nar_hash,
            nar_size, references, deriver, system, signatures, ca,
        }
    }
}

proptest! {
    #[test]
    fn narinfo_print_parse_round_trip(info in narinfo()) {
        let text = info.to_string();
        let parsed = NarInfo::parse(&info.store_dir, &text)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(&parsed, &info);
        prop_assert_eq!(parsed.to_string(), text);
    }

    #[test]
    fn signing_round_trips(mut info in narinfo(), seed in any::<[u8; 32]>()) {
        let key = SecretKey::from_seed("k-1", &seed).unwrap();
        let sig = info.sign(&key);
        let reparsed = NarInfo::parse(&info.store_dir, &info.to_string()).unwrap();
        let trusted: cairn_cache::TrustedKeys = [key.to_public()].into_iter().collect();
        prop_assert_eq!(trusted.verify_narinfo(&reparsed).unwrap(), &sig);
    }

    #[test]
    fn narinfo_parser_never_panics(text in "\\PC{0,400}") {
        let _ = NarInfo::parse(&StoreDir::default(), &text);
    }

    #[test]
    fn narinfo_parser_never_panics_on_plausible_lines(
        lines in prop::collection::vec(
            (prop::sample::select(&[
                "StorePath", "URL", "Compression", "FileHash", "FileSize", "NarHash",
                "NarSize", "References", "Deriver", "System", "Sig", "CA", "Other",
            ][..]), "[ -~]{0,60}"),
            0..14,
        )
    ) {
        let text: String = lines.iter().map(|(k, v)| format!("{k}: {v}\n")).collect();
        if let Ok(info) = NarInfo::parse(&StoreDir::default(), &text) {
            // Whatever parses prints to text that parses to the same value.
            let again = NarInfo::parse(&StoreDir::default(), &info.to_string()).unwrap();
            prop_assert_eq!(again, info);
        }
    }

    #[test]
    fn cache_info_round_trip(
        store_dir in prop::option::of(store_dir()),
        want_mass_query in prop::option::of(any::<bool>()),
        priority in prop::option::of(any::<i32>()),
    ) {
        let info = NixCacheInfo { store_dir, want_mass_query, priority };
        prop_assert_eq!(NixCacheInfo::parse(&info.to_string()).unwrap(), info);
    }
}

#[test]
fn signatures_in_a_set_print_sorted_as_text() {
    let sigs: BTreeSet<Signature> = ["b", "a0", "a"]
        .iter()
        .map(|n| SecretKey::from_seed(n, &[9; 32]).unwrap().sign(b"x"))
        .collect();
    let texts: Vec<String> = sigs.iter().map(ToString::to_string).collect();
    let mut sorted = texts.clone();
    sorted.sort();
    assert_eq!(texts, sorted);
}
