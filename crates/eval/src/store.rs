//! The store, as evaluation needs it.
//!
//! Evaluation touches the store in a few places: a path interpolated into a
//! string is copied there, `builtins.toFile` and `builtins.path` add to it,
//! and every derivation's `.drv` file is written to it. [`EvalStore`] is that
//! small interface, so an embedder can plug in its own store. cairn ships
//! [`LocalEvalStore`], which writes to a local store or, in dry-run mode,
//! only computes the paths it would write. An evaluator without a store
//! (the default) refuses these operations, for pure evaluation.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use cairn_derivation::OutputName;
use cairn_store::content_address::{ContentAddress, ContentAddressError, FileIngestionMethod};
use cairn_store::hash::{Hash, HashAlgo};
use cairn_store::local::{LocalStore, LocalStoreConfig, LocalStoreError, TextBatch, TextFile};
use cairn_store::nar::{self, DumpError, HashMode, PathFilter};
use cairn_store::path::{PathError, StoreDir, StorePath, StorePathName};
use thiserror::Error;

/// Why a store operation of the evaluator failed.
#[derive(Debug, Error)]
pub enum EvalStoreError {
    /// The local store failed.
    #[error(transparent)]
    Local(#[from] LocalStoreError),
    /// Reading the files to add failed.
    #[error(transparent)]
    Dump(#[from] DumpError),
    /// A name or path is not a valid store path.
    #[error(transparent)]
    Path(#[from] PathError),
    /// The content address cannot give a path.
    #[error(transparent)]
    ContentAddress(#[from] ContentAddressError),
    /// Reading a store object failed.
    #[error("cannot read '{}'", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The path is not in the store.
    #[error("path '{0}' is not valid")]
    NotValid(String),
    /// This store cannot build derivations (no builder was given, or it
    /// only computes paths).
    #[error("cannot build {0} during evaluation: this store has no builder")]
    NoBuilder(String),
    /// Building derivation outputs during evaluation failed.
    #[error("building {what} during evaluation failed")]
    Build {
        /// The outputs wanted.
        what: String,
        /// Why the build failed.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// Outputs to build, by the `.drv` path of their derivation.
pub type WantedOutputs = BTreeMap<StorePath, BTreeSet<OutputName>>;

/// Builds derivation outputs for a [`LocalEvalStore`], so that evaluation
/// can read them (import from derivation). cairn-eval does not build; the
/// embedder plugs a builder in (the `cairn` CLI uses cairn-build).
pub trait OutputBuilder {
    /// Builds (or substitutes) `wanted` into `store`; every `.drv` file
    /// involved is valid in it.
    fn build(
        &mut self,
        store: &mut LocalStore,
        wanted: &WantedOutputs,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>>;
}

/// `wanted` as Nix names outputs: `/nix/store/…-a.drv^out,dev`.
fn describe(store_dir: &StoreDir, wanted: &WantedOutputs) -> String {
    let names: Vec<String> = wanted
        .iter()
        .map(|(drv, outputs)| {
            let outputs: Vec<&str> = outputs.iter().map(OutputName::as_str).collect();
            format!("'{}^{}'", store_dir.display_path(drv), outputs.join(","))
        })
        .collect();
    names.join(", ")
}

/// What the evaluator needs from a store.
pub trait EvalStore {
    /// The logical store directory (`/nix/store`).
    fn store_dir(&self) -> &StoreDir;

    /// Adds the file or tree at `source` as `name` (recursively, or one
    /// regular file flat), leaving out what `filter` refuses; returns its
    /// path, which follows from the SHA-256 of the contents.
    fn add_path(
        &mut self,
        source: &Path,
        name: &StorePathName,
        method: FileIngestionMethod,
        filter: PathFilter<'_>,
    ) -> Result<StorePath, EvalStoreError>;

    /// Adds what a fetcher (`fetchurl`, `fetchGit` …) fetched, like
    /// [`add_path`](EvalStore::add_path). A store that otherwise only
    /// computes paths (read-only evaluation) still writes these, as Nix
    /// does: the fetched files are gone once evaluation moves on, and the
    /// result is usually read at once.
    fn add_fetched(
        &mut self,
        source: &Path,
        name: &StorePathName,
        method: FileIngestionMethod,
        filter: PathFilter<'_>,
    ) -> Result<StorePath, EvalStoreError> {
        self.add_path(source, name, method, filter)
    }

    /// Adds a text file that refers to `references` (`toFile`, `.drv` files).
    fn add_text(
        &mut self,
        name: &StorePathName,
        contents: &[u8],
        references: &BTreeSet<StorePath>,
    ) -> Result<StorePath, EvalStoreError>;

    /// Whether `path` is in the store.
    fn is_valid(&mut self, path: &StorePath) -> Result<bool, EvalStoreError>;

    /// The store paths `path` refers to.
    fn references(&mut self, path: &StorePath) -> Result<BTreeSet<StorePath>, EvalStoreError>;

    /// The contents of the regular file `path` (a `.drv` file, say).
    fn read_file(&mut self, path: &StorePath) -> Result<Vec<u8>, EvalStoreError>;

    /// Makes everything added so far valid. A store may write text files
    /// as they come but register them together; until this is called they
    /// are not yet valid for other processes.
    fn flush(&mut self) -> Result<(), EvalStoreError> {
        Ok(())
    }

    /// Returns once the files of everything added so far can be read
    /// through [`real_path`](EvalStore::real_path): a store may write text
    /// files in the background.
    fn wait_written(&mut self) -> Result<(), EvalStoreError> {
        Ok(())
    }

    /// Where the files of `path` are on this machine: for a store kept
    /// under another root, below that root.
    fn real_path(&self, path: &StorePath) -> PathBuf {
        PathBuf::from(self.store_dir().display_path(path))
    }

    /// Builds the derivation outputs `wanted`, so that evaluation can read
    /// them (import from derivation). By default a store cannot build.
    fn build(&mut self, wanted: &WantedOutputs) -> Result<(), EvalStoreError> {
        Err(EvalStoreError::NoBuilder(describe(
            self.store_dir(),
            wanted,
        )))
    }
}

/// A local store, opened on first use (evaluating without touching the
/// store never opens its database).
///
/// Text files (`.drv`s, `toFile`) are written by a background thread as
/// they come and registered together by [`EvalStore::flush`] (or when the
/// store is dropped), so instantiating thousands of derivations flushes
/// the disk once, not once per file, and evaluating overlaps with the
/// filesystem's work.
pub struct LocalEvalStore {
    config: LocalStoreConfig,
    store: Option<LocalStore>,
    pending: TextBatch,
    dry_run: bool,
    builder: Option<Box<dyn OutputBuilder>>,
}

impl LocalEvalStore {
    /// Writes to the local store `config` describes.
    pub fn new(config: LocalStoreConfig) -> LocalEvalStore {
        LocalEvalStore {
            config,
            store: None,
            pending: TextBatch::default(),
            dry_run: false,
            builder: None,
        }
    }

    /// Builds derivation outputs with `builder` when evaluation needs to
    /// read them (import from derivation). Without one, it is refused.
    pub fn with_builder(mut self, builder: Box<dyn OutputBuilder>) -> LocalEvalStore {
        self.builder = Some(builder);
        self
    }

    /// Reads from the local store (when it exists) but never writes to it:
    /// adding only computes the path the contents would get.
    pub fn dry_run(config: LocalStoreConfig) -> LocalEvalStore {
        let mut store = LocalEvalStore::new(config);
        store.dry_run = true;
        store
    }

    /// The store, opened now if it was not yet. In dry-run mode a store
    /// that does not exist yet is not created: `None`.
    fn store(&mut self) -> Result<Option<&mut LocalStore>, EvalStoreError> {
        if self.store.is_none() {
            let db = self.config.root.join("nix/var/nix/db/db.sqlite");
            if self.dry_run && !db.exists() {
                return Ok(None);
            }
            self.store = Some(LocalStore::open(self.config.clone())?);
        }
        Ok(self.store.as_mut())
    }
}

impl EvalStore for LocalEvalStore {
    fn store_dir(&self) -> &StoreDir {
        &self.config.store_dir
    }

    fn add_path(
        &mut self,
        source: &Path,
        name: &StorePathName,
        method: FileIngestionMethod,
        filter: PathFilter<'_>,
    ) -> Result<StorePath, EvalStoreError> {
        if !self.dry_run
            && let Some(store) = self.store()?
        {
            return Ok(store.add_path_filtered(source, name, method, filter)?);
        }
        let (mode, source) = match method {
            FileIngestionMethod::Recursive => (HashMode::Recursive, source.to_path_buf()),
            // As an add does: follow a symlink to the file.
            FileIngestionMethod::Flat => (
                HashMode::Flat,
                std::fs::canonicalize(source).map_err(|e| EvalStoreError::Read {
                    path: source.to_path_buf(),
                    source: e,
                })?,
            ),
        };
        let (hash, _) = nar::hash_path_filtered(&source, HashAlgo::Sha256, mode, filter)?;
        let ca = ContentAddress::Fixed { method, hash };
        Ok(ca.store_path(self.store_dir(), name, &BTreeSet::new(), false)?)
    }

    fn add_fetched(
        &mut self,
        source: &Path,
        name: &StorePathName,
        method: FileIngestionMethod,
        filter: PathFilter<'_>,
    ) -> Result<StorePath, EvalStoreError> {
        let store = match &mut self.store {
            Some(store) => store,
            None => self.store.insert(LocalStore::open(self.config.clone())?),
        };
        Ok(store.add_path_filtered(source, name, method, filter)?)
    }

    fn add_text(
        &mut self,
        name: &StorePathName,
        contents: &[u8],
        references: &BTreeSet<StorePath>,
    ) -> Result<StorePath, EvalStoreError> {
        if !self.dry_run && self.store()?.is_some() {
            let file = TextFile {
                name: name.clone(),
                contents: contents.to_vec(),
                references: references.clone(),
            };
            let Some(store) = self.store.as_mut() else {
                unreachable!("opened above")
            };
            return Ok(self.pending.write(store, &file)?);
        }
        let hash = Hash::of(HashAlgo::Sha256, contents);
        Ok(self.store_dir().make_text_path(name, &hash, references)?)
    }

    fn is_valid(&mut self, path: &StorePath) -> Result<bool, EvalStoreError> {
        if self.pending.contains(path) {
            return Ok(true);
        }
        match self.store()? {
            Some(store) => Ok(store.is_valid(path)?),
            None => Ok(false),
        }
    }

    fn references(&mut self, path: &StorePath) -> Result<BTreeSet<StorePath>, EvalStoreError> {
        if let Some(references) = self.pending.references(path) {
            return Ok(references.clone());
        }
        let display = self.config.store_dir.display_path(path);
        let info = match self.store()? {
            Some(store) => store.path_info(path)?,
            None => None,
        };
        Ok(info.ok_or(EvalStoreError::NotValid(display))?.references)
    }

    fn read_file(&mut self, path: &StorePath) -> Result<Vec<u8>, EvalStoreError> {
        if self.pending.contains(path) {
            self.wait_written()?;
        }
        let real = self.real_path(path);
        std::fs::read(&real).map_err(|e| EvalStoreError::Read {
            path: real,
            source: e,
        })
    }

    fn flush(&mut self) -> Result<(), EvalStoreError> {
        if let Some(store) = self.store.as_mut() {
            self.pending.commit(store)?;
        }
        Ok(())
    }

    fn wait_written(&mut self) -> Result<(), EvalStoreError> {
        Ok(self.pending.wait_written()?)
    }

    fn real_path(&self, path: &StorePath) -> PathBuf {
        let absolute = self.config.store_dir.display_path(path);
        self.config
            .root
            .join(absolute.strip_prefix('/').unwrap_or(&absolute))
    }

    fn build(&mut self, wanted: &WantedOutputs) -> Result<(), EvalStoreError> {
        let what = describe(&self.config.store_dir, wanted);
        if self.dry_run || self.builder.is_none() {
            return Err(EvalStoreError::NoBuilder(what));
        }
        // The builder reads the `.drv` files: they must be valid first.
        self.flush()?;
        let (Some(store), Some(builder)) = (self.store.as_mut(), self.builder.as_mut()) else {
            return Err(EvalStoreError::NoBuilder(what));
        };
        builder
            .build(store, wanted)
            .map_err(|source| EvalStoreError::Build { what, source })
    }
}

impl Drop for LocalEvalStore {
    fn drop(&mut self) {
        // What was handed out as a path must become valid; errors can only
        // be reported by calling `flush` first.
        let _ = self.flush();
    }
}
