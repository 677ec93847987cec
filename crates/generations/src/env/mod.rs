//! User environments: a profile whose generations are trees of symlinks
//! merging the installed packages, as `nix-env -i` / `-e` make them.
//!
//! A generation's target is a store path named `user-environment` holding
//! the merged tree ([`merge`]) and a `manifest.json` ([`manifest`]) that says
//! what is installed; its references are the packages it links to, so the
//! collector keeps them while the generation lives. Nix builds the same
//! layout with `builtin:buildenv` (its manifest is `manifest.nix`, and its
//! environment is a derivation output, so the store path differs from
//! cairn's; the tree of links is the same).

pub mod manifest;
pub mod merge;

use std::collections::BTreeSet;
use std::path::Path;

use cairn_store::StorePath;
use cairn_store::local::{LocalStore, LocalStoreError};

use crate::{Error, Profile, SetOutcome};
use manifest::{Element, MANIFEST_FILE, Manifest};
use merge::{Merged, Package};

/// The name of every user environment's store path, as Nix names it.
pub const ENVIRONMENT_NAME: &str = "user-environment";

/// What [`Profile::install`] or [`Profile::uninstall`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvChange {
    /// The generation now current.
    pub outcome: SetOutcome,
    /// The new environment's store path.
    pub environment: StorePath,
    /// The elements taken out (replaced by a new version, or removed).
    pub removed: Vec<Element>,
    /// The manifest of the new environment.
    pub manifest: Manifest,
    /// What the merge skipped, and why.
    pub warnings: Vec<String>,
}

impl Profile {
    /// The manifest of the current generation: empty when the profile does
    /// not exist yet, or points at something that is not a user
    /// environment (e.g. after `set`), as `nix-env` treats them.
    pub fn installed(&self, store: &LocalStore) -> Result<Manifest, Error> {
        let generations = self.generations()?;
        let Some(current) = generations.current() else {
            return Ok(Manifest::default());
        };
        let target = current.target()?;
        let Ok(path) = store.parse_path(&target.to_string_lossy()) else {
            return Ok(Manifest::default());
        };
        let file = store.real_path(&path).join(MANIFEST_FILE);
        let text = match std::fs::read_to_string(&file) {
            Ok(text) => text,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) =>
            {
                return Ok(Manifest::default());
            }
            Err(e) => return Err(Error::io("reading", &file)(e)),
        };
        Manifest::from_json(&text, store.store_dir())
            .map_err(|source| Error::Manifest { file, source })
    }

    /// Installs `elements` (whose store paths must be valid), as `nix-env
    /// -i`: an installed element with the same name without version as a
    /// new one is replaced by it, the others are kept, and a new generation
    /// with the resulting environment becomes current.
    pub fn install(
        &self,
        store: &mut LocalStore,
        elements: Vec<Element>,
    ) -> Result<EnvChange, Error> {
        let _lock = self.lock()?;
        let old = self.installed(store)?;
        let new_names: BTreeSet<&str> = elements.iter().map(Element::base_name).collect();
        let (removed, mut kept): (Vec<Element>, Vec<Element>) = old
            .elements
            .into_iter()
            .partition(|e| new_names.contains(e.base_name()));
        kept.extend(elements);
        self.switch_environment(store, Manifest { elements: kept }, removed)
    }

    /// Removes the elements any of `selectors` names (a name, a name
    /// without version, or `*`), as `nix-env -e`, and makes the resulting
    /// environment current. Selecting nothing is not an error.
    pub fn uninstall(
        &self,
        store: &mut LocalStore,
        selectors: &[&str],
    ) -> Result<EnvChange, Error> {
        let _lock = self.lock()?;
        let old = self.installed(store)?;
        let (removed, kept): (Vec<Element>, Vec<Element>) = old
            .elements
            .into_iter()
            .partition(|e| selectors.iter().any(|s| e.matches(s)));
        self.switch_environment(store, Manifest { elements: kept }, removed)
    }

    fn switch_environment(
        &self,
        store: &mut LocalStore,
        manifest: Manifest,
        removed: Vec<Element>,
    ) -> Result<EnvChange, Error> {
        let (environment, merged) = build_environment(store, &manifest)?;
        let outcome = self.set_in_store_holding_lock(store, &environment)?;
        Ok(EnvChange {
            outcome,
            environment,
            removed,
            manifest,
            warnings: merged.warnings,
        })
    }
}

/// Builds the user environment of `manifest` in `store`: the merged tree of
/// its elements' store paths, with the manifest, added as a store path
/// that refers to every package it links to. Returns the path and what the
/// merge did.
pub fn build_environment(
    store: &mut LocalStore,
    manifest: &Manifest,
) -> Result<(StorePath, Merged), Error> {
    let mut packages = Vec::new();
    // Each guard keeps a collection from starting until the environment,
    // which refers to the packages, is valid.
    let mut guards = Vec::new();
    for element in &manifest.elements {
        for path in &element.store_paths {
            guards.push(store.add_temp_root(path)?);
            if !store.is_valid(path)? {
                return Err(Error::Store(LocalStoreError::NotValid(
                    store.store_dir().display_path(path),
                )));
            }
            packages.push(Package {
                path: path.clone(),
                priority: element.priority,
            });
        }
    }
    let staging = tempfile::Builder::new()
        .prefix("cairn-env-")
        .tempdir()
        .map_err(Error::io(
            "creating a temporary directory",
            Path::new("/tmp"),
        ))?;
    let out = staging.path().join("env");
    std::fs::create_dir(&out).map_err(Error::io("creating directory", &out))?;
    let store_dir = store.store_dir().clone();
    let real = |path: &StorePath| store.real_path(path);
    let merged = merge::merge(&store_dir, &real, &packages, &out)?;
    let manifest_file = out.join(MANIFEST_FILE);
    std::fs::write(&manifest_file, manifest.to_json(&store_dir))
        .map_err(Error::io("writing", &manifest_file))?;
    let name = cairn_store::path::StorePathName::new(ENVIRONMENT_NAME)
        .map_err(|e| Error::Store(LocalStoreError::from(e)))?;
    let path = store.add_tree_with_references(&out, &name, &merged.packages)?;
    drop(guards);
    Ok((path, merged))
}
