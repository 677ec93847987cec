//! String context: which store paths a string refers to, and how.
//!
//! Nix strings remember the store objects whose paths they contain, so that
//! a derivation built from them depends on exactly those objects. Nix keeps
//! each element as an encoded string (`/nix/store/…`, `=/nix/store/….drv`,
//! `!out!/nix/store/….drv`); here each is a typed value instead, and the
//! encoding only appears where Nix shows it (`builtins.getContext`).

use std::collections::BTreeSet;

use cairn_derivation::OutputName;
use cairn_store::path::StorePath;

/// One store object a string refers to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ContextElem {
    /// A store path as it is: a source (`"${./file}"`), a `toFile` result,
    /// or a `.drv` file used as a file (`unsafeDiscardOutputDependency`).
    Opaque(StorePath),
    /// A derivation with all its outputs and its whole closure, as the
    /// `drvPath` attribute refers to it.
    DrvDeep(StorePath),
    /// One output of a derivation, as `outPath` (or `.dev`) refers to it.
    Built {
        /// The `.drv` path.
        drv: StorePath,
        /// The output.
        output: OutputName,
    },
}

impl ContextElem {
    /// The store path this element is about (the `.drv` for derivations).
    pub fn path(&self) -> &StorePath {
        match self {
            ContextElem::Opaque(p) | ContextElem::DrvDeep(p) => p,
            ContextElem::Built { drv, .. } => drv,
        }
    }
}

/// The set of store objects a string refers to.
pub type Context = BTreeSet<ContextElem>;
