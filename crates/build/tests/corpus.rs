#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

//! The differential corpus: `tests/corpus.nix` instantiated by Nix into two
//! chroot stores, built by Nix 2.8 in one and by cairn in the other; every
//! output must have the same path, NAR hash and references.

mod common;

use std::collections::BTreeSet;

use cairn_build::{Quiet, realise};
use common::Stores;

#[test]
fn corpus_builds_like_nix() {
    let Some(stores) = Stores::new("corpus_builds_like_nix") else {
        return;
    };
    let corpus = common::corpus_path();
    let drvs_a = stores.instantiate_a(&corpus, None);
    let drvs_b = stores.instantiate_b(&corpus, None);
    assert_eq!(drvs_a, drvs_b, "both stores get the same derivations");
    assert!(
        drvs_a.len() >= 30,
        "the corpus has {} derivations",
        drvs_a.len()
    );

    stores.nix_realise(&drvs_a);

    let mut store = stores.open_b();
    let targets = common::targets(&store, &drvs_b);
    let settings = common::settings(2);
    let report = realise(&mut store, &targets, &settings, None, &Quiet).unwrap();
    assert!(
        report.success(),
        "cairn failed:\n{}",
        report
            .failures
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n\n")
    );
    let mut compared = 0;
    for (drv, outputs) in &report.outputs {
        let nix_outputs: BTreeSet<String> = stores
            .nix_query_a(&["-q", "--outputs", &store.store_dir().display_path(drv)])
            .lines()
            .map(str::to_owned)
            .collect();
        let ours: BTreeSet<String> = outputs
            .values()
            .map(|p| store.store_dir().display_path(p))
            .collect();
        assert_eq!(ours, nix_outputs, "outputs of {drv}");
        for path in outputs.values() {
            let info = stores.assert_same_as_nix(&store, path);
            let shown = store.store_dir().display_path(path);
            assert_eq!(info.deriver.as_ref(), Some(drv), "deriver of {shown}");
            compared += 1;
        }
    }
    assert!(compared >= 30, "compared {compared} outputs");
}
