//! Builders written in Rust, named `builtin:NAME` in a derivation.
//!
//! Nix has `builtin:buildenv` (the symlink tree of a user environment) and
//! `builtin:fetchurl`. cairn adds `builtin:cairn-tree`, which writes a tree
//! of files, directories and symlinks described in JSON, so that a system
//! (its /etc, its unit files, its toplevel) assembles without any shell or
//! coreutils in the store.
//!
//! A builtin runs in the build process itself, not in the sandbox, on a
//! worker thread. It sees the derivation's environment with output
//! placeholders replaced (as Nix's builtins do), reads its inputs through
//! [`StoreView`] (logical `/nix/store/…` paths mapped to where they are on
//! the host, which differs for a chroot store) and writes each output at
//! its base name in the outputs directory. What it leaves there then goes
//! through the normal output path: canonicalisation, reference scanning,
//! registration.

mod buildenv;
mod tree;
mod view;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use bstr::{BString, ByteSlice};
use cairn_derivation::{Derivation, OutputName};
use cairn_store::path::{StoreDir, StorePath};

use crate::spec::{BindPath, BuildOutcome, BuildStatus};

pub use view::StoreView;

/// A builder that cairn runs itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builtin {
    /// `builtin:buildenv`: Nix's user-environment symlink tree.
    Buildenv,
    /// `builtin:cairn-tree`: a tree described in JSON.
    CairnTree,
}

impl Builtin {
    /// The builtin a derivation's `builder` names, if it names one cairn
    /// has. `None` also for builders that are not `builtin:` at all.
    pub fn of(builder: &[u8]) -> Option<Builtin> {
        match builder.strip_prefix(b"builtin:")? {
            b"buildenv" => Some(Builtin::Buildenv),
            b"cairn-tree" => Some(Builtin::CairnTree),
            _ => None,
        }
    }
}

/// Why a builtin builder failed.
#[derive(Debug, thiserror::Error)]
pub enum BuiltinError {
    /// The derivation lacks an attribute the builtin needs.
    #[error("attribute '{0}' missing")]
    MissingAttribute(String),
    /// An attribute does not have the form the builtin needs.
    #[error("attribute '{name}' is malformed: {reason}")]
    BadAttribute {
        /// The attribute.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A path is outside the store or not among the build's inputs.
    #[error("'{0}' is not an input of this build")]
    NotAnInput(String),
    /// Following symlinks did not end.
    #[error("too many levels of symbolic links at '{0}'")]
    SymlinkLoop(String),
    /// Two packages provide the same file with the same priority.
    #[error(
        "packages '{first}' and '{second}' have the same priority {priority}; use 'nix-env --set-flag priority NUMBER INSTALLED_PKGNAME' to change the priority of one of the conflicting packages (0 being the highest priority)"
    )]
    Conflict {
        /// The file being added.
        first: String,
        /// The file already linked.
        second: String,
        /// Their priority.
        priority: i64,
    },
    /// A directory meets a file (or the other way round).
    #[error("collision between {0}")]
    Collision(String),
    /// A filesystem operation failed.
    #[error("{action} '{}': {source}", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// The host path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

impl BuiltinError {
    fn io(action: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| BuiltinError::Io {
            action,
            path,
            source,
        }
    }
}

/// What a builtin gets.
pub struct BuiltinContext<'a> {
    /// The derivation's environment, output placeholders replaced by the
    /// outputs' paths.
    pub env: BTreeMap<BString, BString>,
    /// Each output and its path.
    pub outputs: &'a [(OutputName, StorePath)],
    /// Where store paths are.
    pub view: StoreView,
    /// Messages for the build log.
    pub log: &'a mut dyn Write,
}

impl BuiltinContext<'_> {
    /// The value of environment attribute `name`.
    pub fn attr(&self, name: &str) -> Result<&BString, BuiltinError> {
        self.env
            .get(name.as_bytes())
            .ok_or_else(|| BuiltinError::MissingAttribute(name.to_owned()))
    }

    /// The attribute `name` as UTF-8 text.
    pub fn attr_str(&self, name: &str) -> Result<&str, BuiltinError> {
        self.attr(name)?
            .to_str()
            .map_err(|_| BuiltinError::BadAttribute {
                name: name.to_owned(),
                reason: "not UTF-8".to_owned(),
            })
    }
}

/// Runs `builtin` with `cx`.
pub fn run(builtin: Builtin, cx: &mut BuiltinContext<'_>) -> Result<(), BuiltinError> {
    match builtin {
        Builtin::Buildenv => buildenv::build(cx),
        Builtin::CairnTree => tree::build(cx),
    }
}

/// Runs a derivation's builtin builder as a build job does: the
/// environment from `drv`, inputs mapped through `inputs`, outputs written
/// under `outputs_dir`. A failure is written to `log` and reported as exit
/// code 1, as a builder process would.
pub fn run_for_job(
    builtin: Builtin,
    drv: &Derivation,
    store_dir: &StoreDir,
    outputs: &[(OutputName, StorePath)],
    inputs: &[BindPath],
    outputs_dir: &std::path::Path,
    log: &mut dyn Write,
) -> BuildOutcome {
    let started = Instant::now();
    let rewrites: Vec<(String, String)> = outputs
        .iter()
        .map(|(name, path)| {
            (
                crate::realise::setup::placeholder(name),
                store_dir.display_path(path),
            )
        })
        .collect();
    let env = drv
        .env
        .iter()
        .map(|(k, v)| {
            let mut value = v.clone();
            for (from, to) in &rewrites {
                value = BString::from(value.replace(from.as_bytes(), to.as_bytes()));
            }
            (k.clone(), value)
        })
        .chain(outputs.iter().map(|(name, path)| {
            (
                BString::from(name.as_str()),
                BString::from(store_dir.display_path(path)),
            )
        }))
        .collect();
    let view = StoreView::new(store_dir, inputs, outputs, outputs_dir);
    let mut cx = BuiltinContext {
        env,
        outputs,
        view,
        log,
    };
    let status = match run(builtin, &mut cx) {
        Ok(()) => BuildStatus::Exited(0),
        Err(e) => {
            let _ = writeln!(cx.log, "error: {e}");
            BuildStatus::Exited(1)
        }
    };
    BuildOutcome {
        status,
        duration: started.elapsed(),
        setup: std::time::Duration::ZERO,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_builtins() {
        assert_eq!(Builtin::of(b"builtin:buildenv"), Some(Builtin::Buildenv));
        assert_eq!(Builtin::of(b"builtin:cairn-tree"), Some(Builtin::CairnTree));
        assert_eq!(Builtin::of(b"builtin:fetchurl"), None);
        assert_eq!(Builtin::of(b"/bin/sh"), None);
        assert_eq!(Builtin::of(b"buildenv"), None);
    }
}
