//! Evaluating and building a system configuration: from
//! `configuration.nix` to the toplevel store path.
//!
//! The configuration is evaluated with cairn's module library (`nix/`,
//! reachable as `<cairn/…>`), `nix/system.nix` gives the toplevel
//! derivation, and the toplevel and everything it needs are built. The
//! system's own parts use `builtin:` builders, so only the packages the
//! configuration names need a real builder.

use std::path::{Path, PathBuf};

use cairn_build::{BuildSettings, OutputSelection, Progress, Target, realise};
use cairn_eval::store::{EvalStore, LocalEvalStore};
use cairn_eval::{EvalOptions, Evaluator, SearchPathEntry};
use cairn_store::local::{LocalStore, LocalStoreConfig};
use cairn_store::path::StorePath;

/// Why a system could not be evaluated or built.
#[derive(Debug, thiserror::Error)]
pub enum SystemError {
    /// Evaluation failed (a type error, a failed assertion, …); the text is
    /// the rendered diagnostic.
    #[error("evaluating the system configuration failed:\n{0}")]
    Eval(String),
    /// The configuration's toplevel is not one derivation.
    #[error("the system's toplevel is not a derivation")]
    NotADerivation,
    /// Writing the derivations to the store failed.
    #[error(transparent)]
    EvalStore(#[from] cairn_eval::store::EvalStoreError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] cairn_store::local::LocalStoreError),
    /// The build could not run.
    #[error(transparent)]
    Build(#[from] cairn_build::BuildError),
    /// A build failed.
    #[error("building the system failed:\n{0}")]
    BuildFailed(String),
}

/// Where cairn's Nix library is: `$CAIRN_NIX_DIR`; else the `nix/`
/// directory of the source tree cairn was built from, while it exists
/// (so edits take effect at once); else the copy built into cairn,
/// written out under [`crate::library::cache_dir`].
pub fn default_nix_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CAIRN_NIX_DIR") {
        return PathBuf::from(dir);
    }
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../nix");
    if source.join("system.nix").exists() {
        return source;
    }
    match crate::library::materialise(&crate::library::cache_dir()) {
        Ok(dir) => dir,
        // Evaluation will then say which file it could not read.
        Err(_) => source,
    }
}

/// What to evaluate.
#[derive(Debug, Clone)]
pub struct SystemSpec {
    /// The configuration module (`configuration.nix`).
    pub configuration: PathBuf,
    /// cairn's Nix library (see [`default_nix_dir`]).
    pub nix_dir: PathBuf,
    /// More `-I` entries (`nixpkgs=PATH`, …).
    pub search_path: Vec<SearchPathEntry>,
}

/// The evaluated system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instantiated {
    /// The toplevel's `.drv`.
    pub drv: StorePath,
}

/// Evaluates `spec` and writes its derivations into `store`.
pub fn instantiate(
    spec: &SystemSpec,
    store: Box<dyn EvalStore>,
) -> Result<Instantiated, SystemError> {
    let mut search_path = vec![SearchPathEntry {
        prefix: Some("cairn".into()),
        path: spec.nix_dir.clone(),
    }];
    search_path.extend(spec.search_path.iter().cloned());
    let mut evaluator = Evaluator::with_store(
        EvalOptions {
            search_path,
            trace_to_stderr: true,
            ..EvalOptions::default()
        },
        store,
    );
    let configuration =
        std::path::absolute(&spec.configuration).unwrap_or_else(|_| spec.configuration.clone());
    let source = format!(
        "(import <cairn/system.nix> {{ configuration = {}; }}).toplevel",
        nix_path_literal(&configuration)
    );
    let base = configuration
        .parent()
        .map_or_else(|| PathBuf::from("/"), Path::to_path_buf);
    let found = evaluator
        .eval_str(&source, &base)
        .and_then(|v| evaluator.find_derivations(&v, &[]));
    let found = found.map_err(|e| SystemError::Eval(evaluator.render_error(&e)))?;
    evaluator.flush_store()?;
    match found.as_slice() {
        [one] => Ok(Instantiated {
            drv: one.drv_path.clone(),
        }),
        _ => Err(SystemError::NotADerivation),
    }
}

/// A path as a Nix expression: a path literal when it is one, else a
/// string (names with spaces and the like).
fn nix_path_literal(path: &Path) -> String {
    let text = path.to_string_lossy();
    let plain = text
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/._-+".contains(&b));
    if plain {
        text.into_owned()
    } else {
        let escaped = text
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('$', "\\$");
        format!("(/. + \"{escaped}\")")
    }
}

/// Evaluates and builds the system in the store under `store_root`; gives
/// the toplevel's store path.
pub fn build(
    spec: &SystemSpec,
    store_root: &Path,
    settings: &BuildSettings,
    progress: &dyn Progress,
) -> Result<StorePath, SystemError> {
    let config = LocalStoreConfig::chroot(store_root);
    let instantiated = instantiate(spec, Box::new(LocalEvalStore::new(config.clone())))?;
    let mut store = LocalStore::open(config)?;
    let target = Target {
        drv: instantiated.drv,
        outputs: OutputSelection::All,
    };
    let report = realise(
        &mut store,
        std::slice::from_ref(&target),
        settings,
        None,
        progress,
    )?;
    if !report.success() {
        let text: Vec<String> = report.failures.iter().map(ToString::to_string).collect();
        return Err(SystemError::BuildFailed(text.join("\n")));
    }
    report
        .outputs
        .first()
        .and_then(|(_, outputs)| outputs.values().next().cloned())
        .ok_or(SystemError::NotADerivation)
}
