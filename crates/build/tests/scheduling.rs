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
    let concurrency = Concurrency::of(&intervals);
    eprintln!(
        "{} of {} builds overlapped another; two ran {:.0}% of the time",
        concurrency.overlapping,
        intervals.len(),
        concurrency.both_share * 100.0
    );
    assert_eq!(
        concurrency.most_at_once, 2,
        "-j 2 ran at most {} at once",
        concurrency.most_at_once
    );
    // Both builders stayed busy: nearly every build ran while another did
    // (one that found the other builder idle throughout does not). Each
    // builder sleeps long enough for the other slot to be refilled even
    // when the machine is busy with other work.
    assert!(
        concurrency.overlapping * 4 >= intervals.len() * 3,
        "only {} of {} builds overlapped another ({:.0}% of the time with two running)",
        concurrency.overlapping,
        intervals.len(),
        concurrency.both_share * 100.0
    );
}

/// How build intervals (start, end) overlapped.
struct Concurrency {
    /// The most builds running at one instant.
    most_at_once: usize,
    /// How many builds overlapped at least one other.
    overlapping: usize,
    /// The share of the whole span during which two or more ran.
    both_share: f64,
}

impl Concurrency {
    fn of(intervals: &[(f64, f64)]) -> Concurrency {
        // A sweep over the starts and ends; at equal times an end comes
        // first: a build that starts when another ends does not overlap it
        // (the clock is monotonic, so sequential builds never overlap).
        let mut events: Vec<(f64, i32)> = intervals
            .iter()
            .flat_map(|&(start, end)| [(start, 1), (end, -1)])
            .collect();
        events.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let (mut running, mut most_at_once, mut both, mut last) = (0i32, 0i32, 0.0, 0.0);
        for &(time, step) in &events {
            if running >= 2 {
                both += time - last;
            }
            running += step;
            most_at_once = most_at_once.max(running);
            last = time;
        }
        let span = events.last().map_or(0.0, |e| e.0) - events.first().map_or(0.0, |e| e.0);
        let overlapping = intervals
            .iter()
            .enumerate()
            .filter(|&(i, a)| {
                intervals
                    .iter()
                    .enumerate()
                    .any(|(j, b)| i != j && a.0 < b.1 && b.0 < a.1)
            })
            .count();
        Concurrency {
            most_at_once: usize::try_from(most_at_once).unwrap(),
            overlapping,
            both_share: if span > 0.0 { both / span } else { 0.0 },
        }
    }
}

#[test]
fn a_failure_in_the_wide_graph_stops_only_its_dependents() {
    let Some(stores) = Stores::new("a_failure_in_the_wide_graph_stops_only_its_dependents") else {
        return;
    };
    let mut store = stores.open_b();
    let top = target(&stores, &store, "failingGraph");
    let others = target(&stores, &store, "besideFailing");
    let broken = target(&stores, &store, "brokenMid");
    let mut settings = common::settings(2);

    // Without --keep-going: the failure is reported, its dependent too,
    // and nothing new starts after it (tests/failures.rs checks that).
    let stopped = realise(
        &mut store,
        std::slice::from_ref(&top),
        &settings,
        None,
        &Quiet,
    )
    .unwrap();
    assert!(!stopped.success());
    let broken_shown = store.store_dir().display_path(&broken.drv);
    assert!(
        stopped
            .failures
            .iter()
            .any(|f| f.drv == broken_shown && matches!(f.kind, FailureKind::Builder(_))),
        "{}",
        failures(&stopped)
    );

    // With it: everything but the failed build and the top completes,
    // including a second top that does not need the failed build.
    settings.keep_going = true;
    let report = realise(&mut store, &[top.clone(), others], &settings, None, &Quiet).unwrap();
    let shown: Vec<String> = report.failures.iter().map(|f| f.drv.clone()).collect();
    assert_eq!(
        shown,
        [
            broken_shown.clone(),
            store.store_dir().display_path(&top.drv)
        ],
        "{}",
        failures(&report)
    );
    assert!(
        matches!(&report.failures[1].kind, FailureKind::DependencyFailed(d) if *d == broken.drv),
        "{}",
        failures(&report)
    );
    // The 197 other mids, the base and the second top are valid.
    assert_eq!(report.built.len() + stopped.built.len(), 199);
    assert!(report.outputs[0].1.is_empty());
    let beside = out(&report, 1);
    let listing = std::fs::read_to_string(store.real_path(&beside)).unwrap();
    assert_eq!(listing.lines().count(), 197);
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
