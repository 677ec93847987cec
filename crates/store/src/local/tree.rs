//! Adding a file tree that refers to other store paths, such as a user
//! environment: a directory of symlinks into the packages it merges.
//!
//! `add_path` makes source paths without references; here the caller names
//! the references, and the path is computed as Nix computes a source path
//! with references (`makeFixedOutputPath` with recursive SHA-256), so Nix
//! verifies and collects it like any other.

use std::collections::BTreeSet;
use std::path::Path;

use super::{LocalStore, LocalStoreError, copy_as_nar, now};
use crate::content_address::{ContentAddress, FileIngestionMethod};
use crate::path::{StorePath, StorePathName};
use crate::path_info::PathInfo;

impl LocalStore {
    /// Adds the tree at `source` as `name`, registered with `references`
    /// (each must be valid; the caller should hold temporary roots on them
    /// so that no collection removes them first). Returns its store path;
    /// adding a tree that is valid already changes nothing.
    ///
    /// The references are taken as given, not scanned for: they are what
    /// the caller knows the tree needs.
    pub fn add_tree_with_references(
        &mut self,
        source: &Path,
        name: &StorePathName,
        references: &BTreeSet<StorePath>,
    ) -> Result<StorePath, LocalStoreError> {
        for reference in references {
            if !self.is_valid(reference)? {
                return Err(LocalStoreError::InvalidReference {
                    path: name.to_string(),
                    reference: self.store_dir().display_path(reference),
                });
            }
        }
        let staging = self.staging_dir()?;
        let copy = staging.contents();
        let (nar_hash, nar_size) = copy_as_nar(source, &copy, &mut |_| true)?;
        let ca = ContentAddress::Fixed {
            method: FileIngestionMethod::Recursive,
            hash: nar_hash,
        };
        let path = ca.store_path(self.store_dir(), name, references, false)?;
        let info = PathInfo {
            path,
            nar_hash,
            nar_size,
            references: references.clone(),
            deriver: None,
            registration_time: now(),
            ultimate: false,
            signatures: BTreeSet::new(),
            ca: Some(ca),
        };
        self.install(&copy, info)
    }
}
