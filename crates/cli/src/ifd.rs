//! Import from derivation: the evaluator asks for derivation outputs it
//! must read, and cairn-build builds them into the same store.

use cairn_build::{BuildSettings, OutputSelection, Progress, Target, realise};
use cairn_eval::store::{OutputBuilder, WantedOutputs};
use cairn_store::local::LocalStore;
use cairn_store::path::{StoreDir, StorePath};

/// Builds what evaluation needs with `settings`, telling on stderr what it
/// builds (unless `quiet`).
pub(crate) fn builder(settings: BuildSettings, quiet: bool) -> Box<dyn OutputBuilder> {
    Box::new(EvalBuilder { settings, quiet })
}

/// How commands without build options build during evaluation: one
/// derivation at a time, sandboxed as `cairn build` builds.
pub(crate) fn default_settings() -> BuildSettings {
    BuildSettings {
        build_users: BuildSettings::system_build_users(1),
        ..BuildSettings::default()
    }
}

struct EvalBuilder {
    settings: BuildSettings,
    quiet: bool,
}

impl OutputBuilder for EvalBuilder {
    fn build(
        &mut self,
        store: &mut LocalStore,
        wanted: &WantedOutputs,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let targets: Vec<Target> = wanted
            .iter()
            .map(|(drv, outputs)| Target {
                drv: drv.clone(),
                outputs: OutputSelection::Names(outputs.clone()),
            })
            .collect();
        let progress = Announce {
            store_dir: store.store_dir().clone(),
            quiet: self.quiet,
        };
        let report = realise(store, &targets, &self.settings, None, &progress)?;
        match report.failures.first() {
            None => Ok(()),
            Some(failure) => Err(failure.to_string().into()),
        }
    }
}

/// Says which derivation is being built (as Nix does during evaluation),
/// and nothing else.
pub(crate) struct Announce {
    /// For showing paths.
    pub(crate) store_dir: StoreDir,
    /// Say nothing.
    pub(crate) quiet: bool,
}

impl Progress for Announce {
    fn started(&self, drv: &StorePath, _log: &std::path::Path) {
        if !self.quiet {
            eprintln!("building '{}'...", self.store_dir.display_path(drv));
        }
    }
}
