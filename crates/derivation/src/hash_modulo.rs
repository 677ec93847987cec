//! `hashDerivationModulo`: the hash that input-addressed output paths come
//! from.
//!
//! A derivation's hash covers its inputs, but not their `.drv` paths
//! directly: each input derivation is replaced by its own modulo hash, and a
//! fixed-output derivation's modulo hash depends only on its declared output.
//! So changing how a fixed-output derivation fetches (its URL, its builder)
//! does not change the paths of anything that depends on it.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use cairn_store::hash::{Hash, HashAlgo};
use cairn_store::path::{StoreDir, StorePath};

use crate::model::{Derivation, OutputName};
use crate::{DerivationError, aterm};

/// Modulo hashes of the derivations of one graph, computed once each.
///
/// An evaluator creating derivations records each one's hash as it writes it
/// ([`HashModuloCache::insert`]), so that a derivation's inputs are never
/// read back or hashed again.
#[derive(Debug, Default, Clone)]
pub struct HashModuloCache {
    hashes: HashMap<StorePath, Hash>,
}

impl HashModuloCache {
    /// An empty cache.
    pub fn new() -> HashModuloCache {
        HashModuloCache::default()
    }

    /// The recorded modulo hash of the derivation at `drv_path`.
    pub fn get(&self, drv_path: &StorePath) -> Option<&Hash> {
        self.hashes.get(drv_path)
    }

    /// Records the modulo hash of the derivation at `drv_path`.
    pub fn insert(&mut self, drv_path: StorePath, hash: Hash) {
        self.hashes.insert(drv_path, hash);
    }

    /// The modulo hash of `drv`, reading input derivations that the cache
    /// does not know yet through `read` (this crate does no IO).
    ///
    /// A depth-first walk with an explicit stack, so chains of any depth
    /// are fine: each input is entered (read, its own inputs scheduled) and
    /// later exited (hashed, once all its inputs are).
    pub fn hash(
        &mut self,
        drv: &Derivation,
        store_dir: &StoreDir,
        read: &mut dyn FnMut(&StorePath) -> Result<Derivation, DerivationError>,
    ) -> Result<Hash, DerivationError> {
        enum Visit {
            Enter(StorePath),
            Exit(StorePath, Derivation),
        }
        // Entered but not yet exited: the current path from the root. Meeting
        // one of these again means the inputs form a cycle.
        let mut in_progress: BTreeSet<StorePath> = BTreeSet::new();
        let mut stack: Vec<Visit> = drv
            .input_derivations
            .keys()
            .cloned()
            .map(Visit::Enter)
            .collect();
        while let Some(visit) = stack.pop() {
            match visit {
                Visit::Enter(path) => {
                    if self.hashes.contains_key(&path) {
                        continue;
                    }
                    if in_progress.contains(&path) {
                        return Err(DerivationError::Cycle(store_dir.display_path(&path)));
                    }
                    let input = read(&path).map_err(|e| DerivationError::Input {
                        path: store_dir.display_path(&path),
                        source: Box::new(e),
                    })?;
                    let unknown: Vec<StorePath> = input
                        .input_derivations
                        .keys()
                        .filter(|p| !self.hashes.contains_key(*p))
                        .cloned()
                        .collect();
                    in_progress.insert(path.clone());
                    stack.push(Visit::Exit(path, input));
                    stack.extend(unknown.into_iter().map(Visit::Enter));
                }
                Visit::Exit(path, input) => {
                    let hash = self.hash_known_inputs(&input, store_dir)?;
                    in_progress.remove(&path);
                    self.hashes.insert(path, hash);
                }
            }
        }
        self.hash_known_inputs(drv, store_dir)
    }

    /// The modulo hash of `drv`, all of whose inputs are in the cache.
    fn hash_known_inputs(
        &self,
        drv: &Derivation,
        store_dir: &StoreDir,
    ) -> Result<Hash, DerivationError> {
        if let Some(ca) = drv.fixed_output() {
            let (method_algo, hash) = aterm::method_algo_and_hash(ca);
            let path =
                crate::paths::fixed_output_path(store_dir, &drv.name, &OutputName::out(), ca)?;
            let fingerprint = format!(
                "fixed:out:{method_algo}:{}:{}",
                hash.to_base16(),
                store_dir.display_path(&path)
            );
            return Ok(Hash::of(HashAlgo::Sha256, fingerprint.as_bytes()));
        }
        let mut inputs: BTreeMap<String, &BTreeSet<OutputName>> = BTreeMap::new();
        for (path, outputs) in &drv.input_derivations {
            let hash = self
                .hashes
                .get(path)
                .ok_or_else(|| DerivationError::Cycle(store_dir.display_path(path)))?;
            // Two inputs with the same modulo hash (two fixed-output
            // derivations of the same content) collapse into one entry, as in Nix.
            inputs.insert(hash.to_base16(), outputs);
        }
        let aterm = aterm::print_with_inputs(drv, store_dir, &inputs)?;
        Ok(Hash::of(HashAlgo::Sha256, &aterm))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use cairn_store::content_address::{ContentAddress, FileIngestionMethod};
    use cairn_store::path::StorePathName;

    use super::*;
    use crate::Output;

    fn drv(name: &str, builder: &str, inputs: &[&StorePath]) -> Derivation {
        Derivation {
            name: StorePathName::new(name).unwrap(),
            outputs: BTreeMap::from([(OutputName::out(), Output::Deferred)]),
            input_derivations: inputs
                .iter()
                .map(|p| ((*p).clone(), BTreeSet::from([OutputName::out()])))
                .collect(),
            input_sources: BTreeSet::new(),
            system: "x86_64-linux".into(),
            builder: builder.into(),
            args: vec![],
            env: BTreeMap::new(),
        }
    }

    fn fixed(builder: &str) -> Derivation {
        let mut fetch = drv("src", builder, &[]);
        let hash = Hash::of(HashAlgo::Sha256, b"the content");
        fetch.outputs.insert(
            OutputName::out(),
            Output::Fixed(ContentAddress::Fixed {
                method: FileIngestionMethod::Flat,
                hash,
            }),
        );
        fetch
    }

    #[test]
    fn how_a_fixed_output_is_fetched_does_not_reach_its_dependents() {
        let store_dir = StoreDir::default();
        let mut hashes = Vec::new();
        for fetcher in ["/bin/curl", "/bin/wget"] {
            let fetch = fixed(fetcher);
            let fetch_path = fetch.drv_path(&store_dir).unwrap();
            let consumer = drv("consumer", "/bin/sh", &[&fetch_path]);
            let hash = HashModuloCache::new()
                .hash(&consumer, &store_dir, &mut |_| Ok(fetch.clone()))
                .unwrap();
            hashes.push((fetch_path, hash));
        }
        assert_ne!(hashes[0].0, hashes[1].0, "the fetchers' .drv paths differ");
        assert_eq!(
            hashes[0].1, hashes[1].1,
            "but the consumer's modulo hash does not"
        );
    }

    #[test]
    fn an_input_changes_the_hash_of_what_depends_on_it() {
        let store_dir = StoreDir::default();
        let mut hashes = Vec::new();
        for builder in ["/bin/a", "/bin/b"] {
            let input = drv("input", builder, &[]);
            let input_path = input.drv_path(&store_dir).unwrap();
            let consumer = drv("consumer", "/bin/sh", &[&input_path]);
            let hash = HashModuloCache::new()
                .hash(&consumer, &store_dir, &mut |_| Ok(input.clone()))
                .unwrap();
            hashes.push(hash);
        }
        assert_ne!(hashes[0], hashes[1]);
    }

    #[test]
    fn a_cycle_of_inputs_is_an_error_not_a_hang() {
        let store_dir = StoreDir::default();
        let a_path = StorePath::from_base_name("00000000000000000000000000000000-a.drv").unwrap();
        let looping = drv("a", "/bin/sh", &[&a_path]);
        let error = HashModuloCache::new()
            .hash(&looping, &store_dir, &mut |_| Ok(looping.clone()))
            .unwrap_err();
        assert!(matches!(error, DerivationError::Cycle(_)), "{error}");
    }
}
