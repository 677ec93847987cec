//! Property: printing any derivation and parsing it back gives it again.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::collections::{BTreeMap, BTreeSet};

use bstr::BString;
use cairn_derivation::{ContentAddressMethod, Derivation, Output, OutputName, aterm};
use cairn_store::content_address::{ContentAddress, FileIngestionMethod};
use cairn_store::hash::{Hash, HashAlgo};
use cairn_store::path::{StoreDir, StorePath, StorePathName};
use proptest::prelude::*;

fn name() -> impl Strategy<Value = StorePathName> {
    "[a-zA-Z0-9+_?=-][a-zA-Z0-9+._?=-]{0,20}".prop_map(|s| StorePathName::new(&s).unwrap())
}

fn store_path() -> impl Strategy<Value = StorePath> {
    (any::<[u8; 20]>(), name()).prop_map(|(hash, name)| StorePath::new(hash, name))
}

fn output_name() -> impl Strategy<Value = OutputName> {
    "[a-z][a-z0-9]{0,6}".prop_filter_map("reserved", |s| OutputName::new(&s).ok())
}

fn bytes() -> impl Strategy<Value = BString> {
    // Mostly printable, with the escaped characters and arbitrary bytes mixed in.
    prop::collection::vec(
        prop_oneof![4 => 0x20u8..0x7f, 1 => Just(b'"'), 1 => Just(b'\\'), 1 => Just(b'\n'), 1 => Just(b'\t'), 1 => Just(b'\r'), 1 => any::<u8>()],
        0..40,
    )
    .prop_map(BString::from)
}

fn algo() -> impl Strategy<Value = HashAlgo> {
    prop::sample::select(HashAlgo::ALL.to_vec())
}

fn content_address() -> impl Strategy<Value = ContentAddress> {
    (algo(), any::<[u8; 64]>(), 0..3u8).prop_map(|(algo, digest, method)| {
        let hash = Hash::from_digest(algo, &digest[..algo.size()]).unwrap();
        match method {
            0 => ContentAddress::Fixed {
                method: FileIngestionMethod::Flat,
                hash,
            },
            1 => ContentAddress::Fixed {
                method: FileIngestionMethod::Recursive,
                hash,
            },
            _ => ContentAddress::Text(Hash::from_digest(HashAlgo::Sha256, &digest[..32]).unwrap()),
        }
    })
}

fn output() -> impl Strategy<Value = Output> {
    prop_oneof![
        store_path().prop_map(Output::InputAddressed),
        Just(Output::Deferred),
        content_address().prop_map(Output::Fixed),
        (
            algo(),
            prop::sample::select(vec![
                ContentAddressMethod::Flat,
                ContentAddressMethod::Recursive
            ])
        )
            .prop_map(|(algo, method)| Output::Floating { method, algo }),
    ]
}

fn derivation() -> impl Strategy<Value = Derivation> {
    (
        name(),
        prop::collection::btree_map(output_name(), output(), 1..4),
        prop::collection::btree_map(
            store_path(),
            prop::collection::btree_set(output_name(), 1..3),
            0..4,
        ),
        prop::collection::btree_set(store_path(), 0..4),
        (bytes(), bytes(), prop::collection::vec(bytes(), 0..5)),
        prop::collection::btree_map(bytes(), bytes(), 0..6),
    )
        .prop_map(
            |(name, outputs, input_derivations, input_sources, (system, builder, args), env)| {
                Derivation {
                    name,
                    outputs,
                    input_derivations,
                    input_sources,
                    system,
                    builder,
                    args,
                    env,
                }
            },
        )
}

proptest! {
    #[test]
    fn print_then_parse_is_identity(drv in derivation()) {
        let store_dir = StoreDir::default();
        let text = aterm::print(&drv, &store_dir).unwrap();
        let parsed = aterm::parse(&text, &store_dir, drv.name.clone()).unwrap();
        prop_assert_eq!(&parsed, &drv);
        prop_assert_eq!(aterm::print(&parsed, &store_dir).unwrap(), text);
    }
}

#[test]
fn sets_and_maps_print_in_byte_order() {
    let store_dir = StoreDir::default();
    let drv = Derivation {
        name: StorePathName::new("x").unwrap(),
        outputs: BTreeMap::from([
            (OutputName::new("b").unwrap(), Output::Deferred),
            (OutputName::new("a").unwrap(), Output::Deferred),
        ]),
        input_derivations: BTreeMap::new(),
        input_sources: BTreeSet::new(),
        system: "s".into(),
        builder: "b".into(),
        args: vec![],
        env: BTreeMap::from([("z".into(), "1".into()), ("B".into(), "2".into())]),
    };
    let text = String::from_utf8(aterm::print(&drv, &store_dir).unwrap()).unwrap();
    assert_eq!(
        text,
        r#"Derive([("a","","",""),("b","","","")],[],[],"s","b",[],[("B","2"),("z","1")])"#
    );
}
