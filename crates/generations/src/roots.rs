//! Profiles in a store: generations whose targets are valid store paths
//! kept alive by the garbage collector, as `nix-env` makes them.
//!
//! Nix 2.8 registers every generation link it creates as an *indirect* GC
//! root (`addPermRoot`: `gcroots/auto/<sha1 of the link's path>` → the
//! link), wherever the profile lives; links under `profiles/` are roots
//! anyway, but a profile made with `-p` anywhere else is protected only by
//! that indirect root. cairn does the same, so either collector keeps the
//! other's profiles.

use std::path::Path;

use cairn_store::StorePath;
use cairn_store::local::{LocalStore, LocalStoreError};

use crate::{Error, Profile, SetOutcome};

impl Profile {
    /// Makes the valid store path `path` the profile's content, as
    /// `nix-env --set`: [`Profile::set`], then the generation link is
    /// registered as an indirect GC root in `store`.
    ///
    /// The path is held by a temporary root (which also waits for a running
    /// collection to finish) from before its validity is checked until the
    /// link and its root exist, so a collection never sees the path
    /// unprotected.
    pub fn set_in_store(
        &self,
        store: &mut LocalStore,
        path: &StorePath,
    ) -> Result<SetOutcome, Error> {
        let _lock = self.lock()?;
        self.set_in_store_holding_lock(store, path)
    }

    /// [`Profile::set_in_store`] for a caller holding the profile's lock.
    pub(crate) fn set_in_store_holding_lock(
        &self,
        store: &mut LocalStore,
        path: &StorePath,
    ) -> Result<SetOutcome, Error> {
        let _gc = store.add_temp_root(path)?;
        if !store.is_valid(path)? {
            return Err(Error::Store(LocalStoreError::NotValid(
                store.store_dir().display_path(path),
            )));
        }
        let target = store.store_dir().display_path(path);
        let outcome = self.set_holding_lock(Path::new(&target))?;
        // The link `set` chose (a reused one may have an unusual name).
        let link = match self.generations()?.get(outcome.number) {
            Some(generation) => generation.path.clone(),
            None => self.generation_path(outcome.number),
        };
        store.register_indirect_root(&link)?;
        Ok(outcome)
    }
}
