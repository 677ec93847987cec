//! Store paths that follow from a derivation: its outputs' and its own.

use std::collections::BTreeSet;

use cairn_store::content_address::ContentAddress;
use cairn_store::hash::{Hash, HashAlgo};
use cairn_store::path::{StoreDir, StorePath, StorePathName};

use crate::model::{Derivation, Output, OutputName};
use crate::{DerivationError, aterm};

/// The name of an output's store path: the derivation's name for `out`,
/// `<name>-<output>` otherwise.
pub fn output_path_name(
    drv_name: &StorePathName,
    output: &OutputName,
) -> Result<StorePathName, DerivationError> {
    if output.is_out() {
        return Ok(drv_name.clone());
    }
    Ok(StorePathName::new(&format!("{drv_name}-{output}"))?)
}

/// The path of a content-addressed output whose hash is known in advance.
pub fn fixed_output_path(
    store_dir: &StoreDir,
    drv_name: &StorePathName,
    output: &OutputName,
    ca: &ContentAddress,
) -> Result<StorePath, DerivationError> {
    let name = output_path_name(drv_name, output)?;
    Ok(ca.store_path(store_dir, &name, &BTreeSet::new(), false)?)
}

/// The path of an input-addressed output, from the derivation's
/// `hashDerivationModulo` (computed with its outputs masked).
pub fn input_addressed_output_path(
    store_dir: &StoreDir,
    drv_name: &StorePathName,
    output: &OutputName,
    hash_modulo: &Hash,
) -> Result<StorePath, DerivationError> {
    Ok(store_dir.make_output_path(output.as_str(), hash_modulo, drv_name)?)
}

impl Derivation {
    /// Parses the contents of the `.drv` file at `drv_path`, which gives the
    /// derivation its name (the file's name without `.drv`).
    pub fn from_drv_file(
        bytes: &[u8],
        store_dir: &StoreDir,
        drv_path: &StorePath,
    ) -> Result<Derivation, DerivationError> {
        let name = drv_path
            .name()
            .as_str()
            .strip_suffix(".drv")
            .ok_or_else(|| DerivationError::Read(format!("'{drv_path}' is not a .drv file")))?;
        aterm::parse(bytes, store_dir, StorePathName::new(name)?)
    }

    /// The `.drv` file's contents: the ATerm form.
    pub fn to_aterm(&self, store_dir: &StoreDir) -> Result<Vec<u8>, DerivationError> {
        aterm::print(self, store_dir)
    }

    /// The store path of this derivation's `.drv` file: a text path named
    /// `<name>.drv` whose references are the input sources and derivations.
    pub fn drv_path(&self, store_dir: &StoreDir) -> Result<StorePath, DerivationError> {
        let contents = self.to_aterm(store_dir)?;
        let name = StorePathName::new(&format!("{}.drv", self.name))?;
        let hash = Hash::of(HashAlgo::Sha256, &contents);
        Ok(store_dir.make_text_path(&name, &hash, &self.references())?)
    }

    /// The store path of every output whose path is known.
    pub fn output_paths(
        &self,
        store_dir: &StoreDir,
    ) -> Result<Vec<(OutputName, StorePath)>, DerivationError> {
        let mut paths = Vec::with_capacity(self.outputs.len());
        for (name, output) in &self.outputs {
            let path = match output {
                Output::InputAddressed(path) => path.clone(),
                Output::Fixed(ca) => fixed_output_path(store_dir, &self.name, name, ca)?,
                Output::Deferred | Output::Floating { .. } => continue,
            };
            paths.push((name.clone(), path));
        }
        Ok(paths)
    }
}

impl Derivation {
    /// Fills in the paths of input-addressed outputs, as `derivation` does
    /// for a new derivation: every such output is masked (its path and its
    /// environment variable emptied), the masked derivation's modulo hash is
    /// computed, and each output's path follows from that hash.
    ///
    /// Fixed outputs are left as they are: their paths follow from their
    /// hashes alone.
    pub fn fill_input_addressed_outputs(
        &mut self,
        store_dir: &StoreDir,
        cache: &mut crate::HashModuloCache,
        read: &mut dyn FnMut(&StorePath) -> Result<Derivation, DerivationError>,
    ) -> Result<(), DerivationError> {
        if self.fixed_output().is_some() {
            return Ok(());
        }
        let input_addressed: Vec<OutputName> = self
            .outputs
            .iter()
            .filter(|(_, output)| matches!(output, Output::InputAddressed(_) | Output::Deferred))
            .map(|(name, _)| name.clone())
            .collect();
        for name in &input_addressed {
            self.outputs.insert(name.clone(), Output::Deferred);
            self.env.insert(name.as_str().into(), Default::default());
        }
        let hash = cache.hash(self, store_dir, read)?;
        for name in input_addressed {
            let path = input_addressed_output_path(store_dir, &self.name, &name, &hash)?;
            self.env
                .insert(name.as_str().into(), store_dir.display_path(&path).into());
            self.outputs.insert(name, Output::InputAddressed(path));
        }
        Ok(())
    }
}
