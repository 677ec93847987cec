//! Properties of the collector over random reference graphs: nothing a
//! root reaches is deleted, everything else is; and a collection racing
//! processes that add paths loses none of what they registered.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};

use cairn_store::local::{GcOptions, LocalStore, LocalStoreConfig, LocalStoreError, TextFile};
use cairn_store::path::{StorePath, StorePathName};
use proptest::prelude::*;

fn config(root: &Path) -> LocalStoreConfig {
    LocalStoreConfig {
        fsync: false,
        ..LocalStoreConfig::chroot(root)
    }
}

/// A reference graph: node `i` refers to `edges[i]`, all below `i`.
#[derive(Debug, Clone)]
struct Graph {
    edges: Vec<Vec<usize>>,
    roots: Vec<usize>,
}

impl Graph {
    /// The nodes the roots reach.
    fn reachable(&self) -> BTreeSet<usize> {
        let mut seen = BTreeSet::new();
        let mut todo = self.roots.clone();
        while let Some(node) = todo.pop() {
            if seen.insert(node) {
                todo.extend(&self.edges[node]);
            }
        }
        seen
    }
}

/// Registers one text path per node (with its references) in one batch,
/// from a process that then ends, and makes a `gcroots/` link per root.
fn build(root: &Path, graph: &Graph, tag: &str) -> Vec<StorePath> {
    let mut store = LocalStore::open(config(root)).unwrap();
    let mut paths: Vec<StorePath> = Vec::with_capacity(graph.edges.len());
    let mut files = Vec::with_capacity(graph.edges.len());
    for (i, edges) in graph.edges.iter().enumerate() {
        let file = TextFile {
            name: StorePathName::new(&format!("node-{i}")).unwrap(),
            contents: format!("{tag} {i}").into_bytes(),
            references: edges.iter().map(|&j| paths[j].clone()).collect(),
        };
        paths.push(file.store_path(store.store_dir()).unwrap());
        files.push(file);
    }
    assert_eq!(store.add_texts(&files).unwrap(), paths);
    let gcroots = root.join("nix/var/nix/gcroots");
    std::fs::create_dir_all(&gcroots).unwrap();
    for &r in &graph.roots {
        let link = gcroots.join(format!("root-{r}"));
        if std::fs::symlink_metadata(&link).is_err() {
            std::os::unix::fs::symlink(store.store_dir().display_path(&paths[r]), link).unwrap();
        }
    }
    paths
}

/// Collects garbage and checks the outcome against the graph.
fn collect_and_check(graph: &Graph, tag: &str) {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("store");
    let paths = build(&root, graph, tag);
    let mut store = LocalStore::open(config(&root)).unwrap();
    let report = store
        .collect_garbage(&GcOptions {
            runtime_roots: false,
            ..GcOptions::default()
        })
        .unwrap();
    let reachable = graph.reachable();
    let valid: BTreeSet<StorePath> = store.valid_paths().unwrap().into_iter().collect();
    for (i, path) in paths.iter().enumerate() {
        let on_disk = store.real_path(path).exists();
        if reachable.contains(&i) {
            assert!(
                valid.contains(path),
                "node {i} is reachable but was deleted"
            );
            assert!(on_disk, "node {i} is reachable but its file is gone");
        } else {
            assert!(
                !valid.contains(path),
                "node {i} is unreachable but still valid"
            );
            assert!(!on_disk, "node {i} is unreachable but its file is left");
        }
    }
    assert_eq!(report.dead.len(), paths.len() - reachable.len());
    assert_eq!(valid.len(), reachable.len());
    assert!(store.verify(false).unwrap().is_ok());
}

fn graph_strategy() -> impl Strategy<Value = Graph> {
    (1_usize..60)
        .prop_flat_map(|n| {
            (
                proptest::collection::vec(proptest::collection::vec(any::<usize>(), 0..4), n),
                proptest::collection::vec(any::<usize>(), 0..5),
            )
        })
        .prop_map(|(raw, roots)| {
            let n = raw.len();
            let edges = raw
                .into_iter()
                .enumerate()
                .map(|(i, picks)| {
                    if i == 0 {
                        return Vec::new();
                    }
                    let set: BTreeSet<usize> = picks.into_iter().map(|p| p % i).collect();
                    set.into_iter().collect()
                })
                .collect();
            Graph {
                edges,
                roots: roots.into_iter().map(|r| r % n).collect(),
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn the_collector_deletes_exactly_what_no_root_reaches(graph in graph_strategy()) {
        collect_and_check(&graph, "small");
    }
}

/// xorshift64, for a large graph that is the same on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// A random graph of `n` nodes: each refers to up to three nodes among
/// the 200 before it; `roots` of them are roots.
fn large_graph(n: usize, roots: usize, seed: u64) -> Graph {
    let mut rng = Rng(seed);
    let edges = (0..n)
        .map(|i| {
            if i == 0 {
                return Vec::new();
            }
            let count = rng.below(4);
            let set: BTreeSet<usize> = (0..count).map(|_| i - 1 - rng.below(i.min(200))).collect();
            set.into_iter().collect()
        })
        .collect();
    Graph {
        edges,
        roots: (0..roots).map(|_| rng.below(n)).collect(),
    }
}

#[test]
fn a_store_of_twenty_thousand_paths_keeps_exactly_the_reachable_ones() {
    let graph = large_graph(20_000, 40, 0x9e37_79b9_7f4a_7c15);
    let reachable = graph.reachable().len();
    // Both sides must be substantial for the case to mean anything.
    assert!(reachable > 1_000 && reachable < 19_000, "{reachable}");
    collect_and_check(&graph, "large");
}

#[test]
fn a_collection_racing_four_adders_loses_nothing_they_registered() {
    const ADDERS: usize = 4;
    const PER_ADDER: usize = 150;
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("store");
    // Garbage for every collection to find, so that they do delete.
    let garbage = large_graph(300, 0, 7);
    build(&root, &garbage, "garbage");

    let done = Arc::new(AtomicBool::new(false));
    // The adders keep their stores (and so their temporary roots) open
    // until the checks are over, as running processes would.
    let finished = Arc::new(Barrier::new(ADDERS + 1));
    let checked = Arc::new(Barrier::new(ADDERS + 1));
    let adders: Vec<_> = (0..ADDERS)
        .map(|a| {
            let root = root.clone();
            let (finished, checked) = (finished.clone(), checked.clone());
            std::thread::spawn(move || {
                let mut store = LocalStore::open(config(&root)).unwrap();
                // An error is returned after the barriers rather than
                // panicking before them, which would leave the test
                // waiting for ever.
                let mut add_all = || -> Result<Vec<StorePath>, LocalStoreError> {
                    let mut added: Vec<StorePath> = Vec::new();
                    for i in 0..PER_ADDER {
                        // Each refers to the adder's previous path or two.
                        let references: BTreeSet<StorePath> =
                            added.iter().rev().take(i % 3).cloned().collect();
                        added.push(store.add_text(
                            &StorePathName::new(&format!("adder-{a}-{i}")).unwrap(),
                            format!("adder {a} path {i}").as_bytes(),
                            &references,
                        )?);
                    }
                    Ok(added)
                };
                let added = add_all();
                finished.wait();
                checked.wait();
                added
            })
        })
        .collect();

    let collector = {
        let (root, done) = (root.clone(), done.clone());
        std::thread::spawn(move || {
            let mut store = LocalStore::open(config(&root)).unwrap();
            let mut runs = 0;
            let mut deleted = 0;
            while !done.load(Ordering::SeqCst) || runs == 0 {
                let report = store
                    .collect_garbage(&GcOptions {
                        runtime_roots: false,
                        ..GcOptions::default()
                    })
                    .unwrap();
                runs += 1;
                deleted += report.dead.len();
            }
            (runs, deleted)
        })
    };
    finished.wait();
    done.store(true, Ordering::SeqCst);
    let (runs, deleted) = collector.join().unwrap();
    assert!(
        deleted >= 300,
        "the collections deleted only {deleted} paths"
    );

    // One more collection now that all adders are idle but alive.
    let mut store = LocalStore::open(config(&root)).unwrap();
    store
        .collect_garbage(&GcOptions {
            runtime_roots: false,
            ..GcOptions::default()
        })
        .unwrap();
    let valid: BTreeSet<StorePath> = store.valid_paths().unwrap().into_iter().collect();
    checked.wait();
    let mut total = 0;
    for adder in adders {
        for path in adder.join().unwrap().unwrap() {
            assert!(
                valid.contains(&path),
                "{path} was registered by an adder but collected ({runs} collections)"
            );
            assert!(store.real_path(&path).exists(), "{path} lost its file");
            total += 1;
        }
    }
    assert_eq!(total, ADDERS * PER_ADDER);
    assert!(store.verify(false).unwrap().is_ok());
}
