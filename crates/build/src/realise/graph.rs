//! The derivation graph below the targets: what is valid, what can be
//! substituted, and what must be built after what.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use bstr::ByteSlice;
use cairn_derivation::{Derivation, Output, OutputName, aterm};
use cairn_store::local::LocalStore;
use cairn_store::path::{StorePath, StorePathName};

use super::{BuildError, OutputSelection, RealiseReport, Substituter, Target};

/// One derivation of the graph.
pub struct Node {
    /// Its `.drv` path.
    pub drv_path: StorePath,
    /// The derivation.
    pub drv: Derivation,
    /// Every output with its path.
    pub outputs: Vec<(OutputName, StorePath)>,
    /// The outputs something wants.
    pub wanted: BTreeSet<OutputName>,
    /// Whether it must be built.
    pub build: bool,
    /// Whether it is built to check outputs that are valid already
    /// (`--check`): the result is compared, not registered.
    pub check: bool,
    /// Input derivations (graph indices) with the outputs used of each.
    pub inputs: Vec<(usize, BTreeSet<OutputName>)>,
}

impl Node {
    /// The path of `output`.
    pub fn output_path(&self, output: &OutputName) -> Option<&StorePath> {
        self.outputs
            .iter()
            .find(|(name, _)| name == output)
            .map(|(_, path)| path)
    }
}

/// The loaded graph.
pub struct Graph {
    /// The derivations, targets first.
    pub nodes: Vec<Node>,
    /// Graph index of each target.
    pub targets: Vec<usize>,
}

/// Reads and parses a `.drv` from the store.
pub fn read_derivation(store: &LocalStore, path: &StorePath) -> Result<Derivation, BuildError> {
    let display = store.store_dir().display_path(path);
    let real = store.real_path(path);
    let bytes = std::fs::read(&real).map_err(|source| BuildError::ReadDerivation {
        path: display.clone(),
        source,
    })?;
    let name = path
        .name()
        .as_str()
        .strip_suffix(".drv")
        .ok_or_else(|| BuildError::NotADerivation(display.clone()))?;
    let name = StorePathName::new(name).map_err(|e| BuildError::Derivation {
        path: display.clone(),
        source: e.into(),
    })?;
    aterm::parse(&bytes, store.store_dir(), name).map_err(|source| BuildError::Derivation {
        path: display,
        source,
    })
}

/// Loads the graph below `targets`, substituting what can be and deciding
/// what must be built.
pub fn load(
    store: &mut LocalStore,
    targets: &[Target],
    check: bool,
    substituter: Option<&dyn Substituter>,
    report: &mut RealiseReport,
) -> Result<Graph, BuildError> {
    let mut nodes: Vec<Node> = Vec::new();
    let mut index: HashMap<StorePath, usize> = HashMap::new();
    let mut target_indices = Vec::with_capacity(targets.len());
    // (node, outputs wanted of it, whether it is a target); `None` means all.
    let mut work: Vec<(usize, Option<BTreeSet<OutputName>>, bool)> = Vec::new();
    for target in targets {
        let idx = node_index(store, &mut nodes, &mut index, &target.drv)?;
        target_indices.push(idx);
        let wanted = match &target.outputs {
            OutputSelection::All => None,
            OutputSelection::Names(names) => Some(names.clone()),
        };
        work.push((idx, wanted, true));
    }
    let mut checked_sources: BTreeSet<StorePath> = BTreeSet::new();
    while let Some((idx, wanted, is_target)) = work.pop() {
        let node = &mut nodes[idx];
        let wanted =
            wanted.unwrap_or_else(|| node.outputs.iter().map(|(n, _)| n.clone()).collect());
        for name in &wanted {
            if node.output_path(name).is_none() {
                return Err(BuildError::NoSuchOutput {
                    drv: store.store_dir().display_path(&node.drv_path),
                    output: name.to_string(),
                });
            }
        }
        let new: BTreeSet<OutputName> = wanted.difference(&node.wanted).cloned().collect();
        if new.is_empty() {
            continue;
        }
        node.wanted.extend(new.iter().cloned());
        if node.build {
            continue;
        }
        let wanted_paths: Vec<StorePath> = node
            .wanted
            .iter()
            .filter_map(|name| node.output_path(name).cloned())
            .collect();
        let mut missing = Vec::new();
        for path in wanted_paths {
            // Rooted before it is checked, so that a collector cannot take
            // it between the check and its use as an input.
            drop(store.add_temp_root(&path)?);
            if !store.is_valid(&path)? {
                missing.push(path);
            }
        }
        let checking = check && is_target;
        if checking && !missing.is_empty() {
            return Err(BuildError::CheckInvalid(
                store.store_dir().display_path(&nodes[idx].drv_path),
            ));
        }
        if missing.is_empty() && !checking {
            continue;
        }
        let allow_substitutes = node
            .drv
            .env
            .get(b"allowSubstitutes".as_bstr())
            .is_none_or(|v| v.as_slice() == b"1");
        if !checking
            && allow_substitutes
            && let Some(substituter) = substituter
            && substitute_all(store, substituter, &missing, report)
        {
            continue;
        }
        let node = &mut nodes[idx];
        node.build = true;
        node.check = checking;
        let input_drvs: Vec<(StorePath, BTreeSet<OutputName>)> = node
            .drv
            .input_derivations
            .iter()
            .map(|(p, o)| (p.clone(), o.clone()))
            .collect();
        let sources: Vec<StorePath> = node.drv.input_sources.iter().cloned().collect();
        for source in sources {
            if !checked_sources.insert(source.clone()) {
                continue;
            }
            drop(store.add_temp_root(&source)?);
            if store.is_valid(&source)? {
                continue;
            }
            let fetched = substituter
                .is_some_and(|s| substitute_all(store, s, std::slice::from_ref(&source), report));
            if !fetched {
                return Err(BuildError::MissingInput(
                    store.store_dir().display_path(&source),
                ));
            }
        }
        let mut inputs = Vec::with_capacity(input_drvs.len());
        for (input, outputs) in input_drvs {
            let input_idx = node_index(store, &mut nodes, &mut index, &input)?;
            inputs.push((input_idx, outputs.clone()));
            work.push((input_idx, Some(outputs), false));
        }
        nodes[idx].inputs = inputs;
    }
    Ok(Graph {
        nodes,
        targets: target_indices,
    })
}

fn substitute_all(
    store: &mut LocalStore,
    substituter: &dyn Substituter,
    paths: &[StorePath],
    report: &mut RealiseReport,
) -> bool {
    for path in paths {
        match substituter.substitute(store, path) {
            Ok(true) => report.substituted.push(path.clone()),
            Ok(false) => return false,
            Err(e) => {
                report.warnings.push(format!(
                    "substituting '{}' failed: {e}; building it instead",
                    store.store_dir().display_path(path)
                ));
                return false;
            }
        }
    }
    true
}

fn node_index(
    store: &mut LocalStore,
    nodes: &mut Vec<Node>,
    index: &mut HashMap<StorePath, usize>,
    drv_path: &StorePath,
) -> Result<usize, BuildError> {
    if let Some(&idx) = index.get(drv_path) {
        return Ok(idx);
    }
    // Kept from collection while it is used, as Nix does.
    drop(store.add_temp_root(drv_path)?);
    let drv = read_derivation(store, drv_path)?;
    let display = store.store_dir().display_path(drv_path);
    if drv
        .outputs
        .values()
        .any(|o| matches!(o, Output::Deferred | Output::Floating { .. }))
    {
        return Err(BuildError::Invalid {
            drv: display,
            message: "content-addressed (floating or deferred) outputs are not supported yet"
                .into(),
        });
    }
    let outputs = drv
        .output_paths(store.store_dir())
        .map_err(|source| BuildError::Derivation {
            path: display,
            source,
        })?;
    let idx = nodes.len();
    nodes.push(Node {
        drv_path: drv_path.clone(),
        drv,
        outputs,
        wanted: BTreeSet::new(),
        build: false,
        check: false,
        inputs: Vec::new(),
    });
    index.insert(drv_path.clone(), idx);
    Ok(idx)
}

/// The outputs of each node's wanted set, by name (for the report).
pub fn wanted_outputs(node: &Node) -> BTreeMap<OutputName, StorePath> {
    node.wanted
        .iter()
        .filter_map(|name| node.output_path(name).map(|p| (name.clone(), p.clone())))
        .collect()
}
