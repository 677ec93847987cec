//! The evaluator's side of the store: copying paths, adding text files,
//! writing derivations, and following a derivation's closure.
//!
//! [`StoreState`] remembers what this evaluation put into the store, so a
//! path interpolated twice is copied once, and derivations written by this
//! evaluation are never read back or re-hashed (their `hashDerivationModulo`
//! is recorded as each is written). In dry-run mode nothing is on disk, so
//! this memory is also the only record of what was "written".

use std::collections::BTreeSet;
use std::rc::Rc;

use cairn_derivation::{Derivation, DerivationError, HashModuloCache};
use cairn_store::content_address::FileIngestionMethod;
use cairn_store::nar::PathFilter;
use cairn_store::path::{StoreDir, StorePath, StorePathName};
use rustc_hash::FxHashMap;

use crate::context::{Context, ContextElem};
use crate::error::{EvalError, EvalResult};
use crate::eval::Machine;
use crate::span::Span;
use crate::store::{EvalStore, EvalStoreError};
use crate::value::NixString;

/// What an evaluation knows about the store.
#[derive(Default)]
pub(crate) struct StoreState {
    /// The store; `None` for pure evaluation without one.
    pub(crate) store: Option<Box<dyn EvalStore>>,
    /// Local paths already copied, by absolute path (Nix's `srcToStore`).
    copied: FxHashMap<String, StorePath>,
    /// Derivations written by this evaluation.
    derivations: FxHashMap<StorePath, Rc<Derivation>>,
    /// The references of text files (`.drv`s, `toFile`) written by this
    /// evaluation: in dry-run mode the store cannot tell them.
    text_references: FxHashMap<StorePath, BTreeSet<StorePath>>,
    /// `hashDerivationModulo` of every derivation met.
    hash_modulo: HashModuloCache,
}

/// A store error as an evaluation error at `span`.
pub(crate) fn store_error(e: EvalStoreError, span: Span) -> EvalError {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    EvalError::other(message, span)
}

impl Machine {
    /// The store, or an error saying this evaluation has none.
    pub(crate) fn store(&mut self, span: Span) -> EvalResult<&mut dyn EvalStore> {
        match self.store_state.store.as_deref_mut() {
            Some(store) => Ok(store),
            None => Err(no_store(span)),
        }
    }

    /// The store directory: the store's, or `/nix/store` without a store.
    pub fn store_dir(&self) -> StoreDir {
        match &self.store_state.store {
            Some(store) => store.store_dir().clone(),
            None => StoreDir::default(),
        }
    }

    /// Copies the local path `path` into the store as `"${path}"` does, once
    /// per evaluation, and returns the store path as a string with context.
    pub(crate) fn copy_path_to_store(&mut self, path: &str, span: Span) -> EvalResult<NixString> {
        let store_path = match self.store_state.copied.get(path) {
            Some(p) => p.clone(),
            None => {
                let base = path.rsplit('/').next().unwrap_or_default();
                if base.ends_with(".drv") {
                    return Err(EvalError::other(
                        format!("file names are not allowed to end in '.drv' ('{path}')"),
                        span,
                    ));
                }
                let name = StorePathName::new(base).map_err(|e| {
                    EvalError::other(format!("cannot copy '{path}' to the store: {e}"), span)
                })?;
                let added = self
                    .store(span)?
                    .add_path(
                        std::path::Path::new(path),
                        &name,
                        FileIngestionMethod::Recursive,
                        &mut |_| true,
                    )
                    .map_err(|e| store_error(e, span))?;
                self.store_state
                    .copied
                    .insert(path.to_owned(), added.clone());
                added
            }
        };
        Ok(self.store_path_string(&store_path))
    }

    /// `path` as a string whose context is the path itself.
    pub(crate) fn store_path_string(&mut self, path: &StorePath) -> NixString {
        let text = self.store_dir().display_path(path);
        NixString::with_context(text, Context::from([ContextElem::Opaque(path.clone())]))
    }

    /// Adds a file tree filtered by `filter` (see [`EvalStore::add_path`]).
    pub(crate) fn add_path_to_store(
        &mut self,
        source: &std::path::Path,
        name: &StorePathName,
        method: FileIngestionMethod,
        filter: PathFilter<'_>,
        span: Span,
    ) -> EvalResult<StorePath> {
        self.store(span)?
            .add_path(source, name, method, filter)
            .map_err(|e| store_error(e, span))
    }

    /// Adds what a fetcher fetched (see [`EvalStore::add_fetched`]).
    pub(crate) fn add_fetched_to_store(
        &mut self,
        source: &std::path::Path,
        name: &StorePathName,
        method: FileIngestionMethod,
        filter: PathFilter<'_>,
        span: Span,
    ) -> EvalResult<StorePath> {
        self.store(span)?
            .add_fetched(source, name, method, filter)
            .map_err(|e| store_error(e, span))
    }

    /// Adds a text file with references and remembers them.
    pub(crate) fn add_text_to_store(
        &mut self,
        name: &StorePathName,
        contents: &[u8],
        references: BTreeSet<StorePath>,
        span: Span,
    ) -> EvalResult<StorePath> {
        let path = self
            .store(span)?
            .add_text(name, contents, &references)
            .map_err(|e| store_error(e, span))?;
        self.store_state
            .text_references
            .insert(path.clone(), references);
        Ok(path)
    }

    /// Whether `path` is in the store (or was written by this evaluation).
    pub(crate) fn is_valid_path(&mut self, path: &StorePath, span: Span) -> EvalResult<bool> {
        if self.store_state.text_references.contains_key(path) {
            return Ok(true);
        }
        self.store(span)?
            .is_valid(path)
            .map_err(|e| store_error(e, span))
    }

    /// `paths` and everything they refer to, directly or not.
    pub(crate) fn closure(
        &mut self,
        paths: impl IntoIterator<Item = StorePath>,
        span: Span,
    ) -> EvalResult<BTreeSet<StorePath>> {
        let mut closure = BTreeSet::new();
        let mut todo: Vec<StorePath> = paths.into_iter().collect();
        while let Some(path) = todo.pop() {
            if closure.contains(&path) {
                continue;
            }
            let refs = match self.store_state.text_references.get(&path) {
                Some(refs) => refs.clone(),
                None => self
                    .store(span)?
                    .references(&path)
                    .map_err(|e| store_error(e, span))?,
            };
            todo.extend(refs.into_iter().filter(|r| !closure.contains(r)));
            closure.insert(path);
        }
        Ok(closure)
    }

    /// The derivation at `drv_path`: one this evaluation wrote, or else
    /// read from the store and parsed.
    pub(crate) fn read_derivation(
        &mut self,
        drv_path: &StorePath,
        span: Span,
    ) -> EvalResult<Rc<Derivation>> {
        if let Some(drv) = self.store_state.derivations.get(drv_path) {
            return Ok(drv.clone());
        }
        let drv = read_from_store(self.store(span)?, drv_path).map_err(|e| {
            EvalError::other(
                format!(
                    "cannot read derivation '{}': {e}",
                    self.store_dir().display_path(drv_path)
                ),
                span,
            )
        })?;
        let drv = Rc::new(drv);
        self.store_state
            .derivations
            .insert(drv_path.clone(), drv.clone());
        Ok(drv)
    }

    /// Gives the input-addressed outputs of `drv` their paths, writes its
    /// `.drv` file and records its modulo hash. Returns the `.drv` path.
    pub(crate) fn write_derivation(
        &mut self,
        mut drv: Derivation,
        span: Span,
    ) -> EvalResult<StorePath> {
        let store_dir = self.store_dir();
        let state = &mut self.store_state;
        let Some(store) = state.store.as_deref_mut() else {
            return Err(no_store(span));
        };
        let derivations = &state.derivations;
        let mut read = |path: &StorePath| -> Result<Derivation, DerivationError> {
            match derivations.get(path) {
                Some(d) => Ok((**d).clone()),
                None => read_from_store(store, path),
            }
        };
        let drv_err = |e: DerivationError| EvalError::other(e.to_string(), span);
        drv.fill_input_addressed_outputs(&store_dir, &mut state.hash_modulo, &mut read)
            .map_err(drv_err)?;
        let hash = state
            .hash_modulo
            .hash(&drv, &store_dir, &mut read)
            .map_err(drv_err)?;
        let contents = drv.to_aterm(&store_dir).map_err(drv_err)?;
        let name = StorePathName::new(&format!("{}.drv", drv.name))
            .map_err(|e| EvalError::other(e.to_string(), span))?;
        let drv_path = self.add_text_to_store(&name, &contents, drv.references(), span)?;
        self.store_state.hash_modulo.insert(drv_path.clone(), hash);
        self.store_state
            .derivations
            .insert(drv_path.clone(), Rc::new(drv));
        Ok(drv_path)
    }

    /// A derivation this evaluation wrote or read.
    pub fn derivation(&self, drv_path: &StorePath) -> Option<Rc<Derivation>> {
        self.store_state.derivations.get(drv_path).cloned()
    }
}

fn no_store(span: Span) -> EvalError {
    EvalError::other(
        "this evaluation has no store, so it cannot add paths to it or write derivations \
         (give the evaluator a store)",
        span,
    )
}

/// Reads and parses the `.drv` file at `path`.
fn read_from_store(
    store: &mut dyn EvalStore,
    path: &StorePath,
) -> Result<Derivation, DerivationError> {
    let bytes = store
        .read_file(path)
        .map_err(|e| DerivationError::Read(e.to_string()))?;
    Derivation::from_drv_file(&bytes, store.store_dir(), path)
}
