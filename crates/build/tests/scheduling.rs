#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

//! The scheduler at work: 200 derivations with two builders at once, a
//! garbage collection while a build runs, `--check`, and reproducibility
//! across fresh stores.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use cairn_build::{FailureKind, Progress, Quiet, RealiseReport, Target, realise};
use cairn_store::local::{GcOptions, LocalStore, LocalStoreConfig};
use cairn_store::path::StorePath;
use common::Stores;

fn scheduling_nix() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scheduling.nix")
}

fn failures(report: &RealiseReport) -> String {
    report
        .failures
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// Instantiates `attr` into store B and returns its target (every output).
fn target(stores: &Stores, store: &LocalStore, attr: &str) -> Target {
    let drv = stores
        .instantiate_b(&scheduling_nix(), Some(attr))
        .remove(0);
    Target::parse(store.store_dir(), &drv).unwrap()
}

fn out(report: &RealiseReport, index: usize) -> StorePath {
    report.outputs[index].1.values().next().unwrap().clone()
}

#[test]
fn two_hundred_derivations_build_two_at_a_time() {
    let Some(stores) = Stores::new("two_hundred_derivations_build_two_at_a_time") else {
        return;
    };
    let mut store = stores.open_b();
    let top = target(&stores, &store, "graph");
    let settings = common::settings(2);
    let report = realise(&mut store, &[top], &settings, None, &Quiet).unwrap();
    assert!(report.success(), "{}", failures(&report));
    assert_eq!(report.built.len(), 200);

    // Each mid's output: "<start> <end>" on the host's boot clock.
    let listing = std::fs::read_to_string(store.real_path(&out(&report, 0))).unwrap();
    let intervals: Vec<(f64, f64)> = listing
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            (fields[1].parse().unwrap(), fields[2].parse().unwrap())
        })
        .collect();
    assert_eq!(intervals.len(), 198);
    // Two builds overlap when each started before the other ended. A
    // monotonic clock makes sequential builds never overlap strictly.
    let mut sorted = intervals.clone();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let overlapping = sorted.windows(2).filter(|w| w[1].0 < w[0].1).count();
    assert!(
        overlapping > 0,
        "no two builders ran at the same time: {sorted:?}"
    );
    // And never more than two at once.
    for (i, a) in sorted.iter().enumerate() {
        let at_once = sorted[i..].iter().filter(|b| b.0 < a.1).count();
        assert!(at_once <= 2, "{at_once} builds ran at once");
    }
}

/// Runs a garbage collection (in another store handle) when the build it
/// watches prints its first line, and keeps the report.
struct CollectWhileRunning {
    root: PathBuf,
    report: Mutex<Option<cairn_store::local::GcReport>>,
}

impl Progress for CollectWhileRunning {
    fn log(&self, _drv: &StorePath, chunk: &[u8]) {
        let mut report = self.report.lock().unwrap();
        if report.is_none() && chunk.starts_with(b"running") {
            let mut other = LocalStore::open(LocalStoreConfig::chroot(&self.root)).unwrap();
            let options = GcOptions {
                // Only the temporary roots may keep what the build uses.
                runtime_roots: false,
                ..GcOptions::default()
            };
            *report = Some(other.collect_garbage(&options).unwrap());
        }
    }
}

#[test]
fn a_collection_during_a_build_keeps_its_inputs_and_outputs() {
    let Some(stores) = Stores::new("a_collection_during_a_build_keeps_its_inputs_and_outputs")
    else {
        return;
    };
    let settings = common::settings(1);
    // Garbage: built and valid, no root.
    let garbage = {
        let mut store = stores.open_b();
        let target = target(&stores, &store, "garbage");
        let report = realise(&mut store, &[target], &settings, None, &Quiet).unwrap();
        assert!(report.success(), "{}", failures(&report));
        out(&report, 0)
    };
    let mut store = stores.open_b();
    let user = target(&stores, &store, "gcUser");
    let watcher = CollectWhileRunning {
        root: stores.b.clone(),
        report: Mutex::new(None),
    };
    let report = realise(&mut store, &[user], &settings, None, &watcher).unwrap();
    assert!(report.success(), "{}", failures(&report));
    let gc = watcher
        .report
        .lock()
        .unwrap()
        .take()
        .expect("a collection ran");
    assert!(
        gc.dead.contains(&garbage),
        "the collection works: it deletes what nothing keeps"
    );
    assert!(!store.is_valid(&garbage).unwrap());
    let output = out(&report, 0);
    let text = std::fs::read_to_string(store.real_path(&output)).unwrap();
    assert_eq!(text, "dep-user\n");
    // The input built just before, and busybox, survived the collection.
    let info = store.path_info(&output).unwrap().unwrap();
    for path in gc.dead.iter() {
        assert!(
            !path.name().as_str().contains("gc-"),
            "the collection deleted {path}, which the build uses"
        );
    }
    let busybox = store.parse_path(&stores.busybox_b.store_path).unwrap();
    assert!(store.is_valid(&busybox).unwrap());
    assert!(!gc.dead.contains(&busybox));
    assert!(info.references.is_empty());
}

#[test]
fn check_rebuilds_and_names_the_first_difference() {
    let Some(stores) = Stores::new("check_rebuilds_and_names_the_first_difference") else {
        return;
    };
    let mut store = stores.open_b();
    let targets = [
        target(&stores, &store, "deterministic"),
        target(&stores, &store, "nondeterministic"),
    ];
    let mut settings = common::settings(2);

    // Checking what is not valid is refused.
    settings.check = true;
    let refused = realise(&mut store, &targets[..1], &settings, None, &Quiet);
    assert!(
        refused.as_ref().is_err_and(|e| e
            .to_string()
            .contains("not valid, so checking is not possible")),
        "{:?}",
        refused.map(|r| r.built)
    );

    settings.check = false;
    let first = realise(&mut store, &targets, &settings, None, &Quiet).unwrap();
    assert!(first.success(), "{}", failures(&first));
    let infos: BTreeMap<StorePath, _> = first
        .outputs
        .iter()
        .flat_map(|(_, outs)| outs.values())
        .map(|p| (p.clone(), store.path_info(p).unwrap().unwrap()))
        .collect();

    settings.check = true;
    settings.keep_going = true;
    let checked = realise(&mut store, &targets, &settings, None, &Quiet).unwrap();
    assert_eq!(
        checked.built,
        vec![targets[0].drv.clone()],
        "{}",
        failures(&checked)
    );
    assert_eq!(checked.failures.len(), 1);
    let failure = &checked.failures[0];
    let FailureKind::NotDeterministic(difference) = &failure.kind else {
        panic!("{failure}");
    };
    let offset: u64 = difference
        .split("'b' differs first at byte offset ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("{difference}"))
        .parse()
        .unwrap();
    assert!(offset >= "prefix-".len() as u64, "{difference}");
    assert!(failure.to_string().contains("may not be deterministic"));
    // Nothing changed in the store.
    for (path, info) in &infos {
        assert_eq!(&store.path_info(path).unwrap().unwrap(), info);
    }
}

#[test]
fn building_twice_in_fresh_stores_gives_the_same_nar_hashes() {
    let Some(stores) = Stores::new("building_twice_in_fresh_stores_gives_the_same_nar_hashes")
    else {
        return;
    };
    let corpus = common::corpus_path();
    let drvs_a = stores.instantiate_a(&corpus, None);
    let drvs_b = stores.instantiate_b(&corpus, None);
    assert_eq!(drvs_a, drvs_b);
    let mut hashes = Vec::new();
    for root in [&stores.a, &stores.b] {
        let mut store = LocalStore::open(LocalStoreConfig::chroot(root)).unwrap();
        let targets = common::targets(&store, &drvs_a);
        let report = realise(&mut store, &targets, &common::settings(2), None, &Quiet).unwrap();
        assert!(report.success(), "{}", failures(&report));
        let by_path: BTreeMap<StorePath, String> = report
            .outputs
            .iter()
            .flat_map(|(_, outs)| outs.values())
            .map(|p| {
                let info = store.path_info(p).unwrap().unwrap();
                (p.clone(), info.nar_hash.to_string())
            })
            .collect();
        hashes.push(by_path);
    }
    assert!(hashes[0].len() >= 30);
    assert_eq!(hashes[0], hashes[1]);
}
