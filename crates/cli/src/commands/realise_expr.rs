//! Evaluating `FILE -A ATTR` to derivations and realising the outputs they
//! stand for: what `cairn profile install` needs from the evaluator and
//! the builder (as `nix-env -f FILE -iA ATTR` does).

use std::collections::BTreeSet;

use anyhow::Context;
use cairn_build::{BuildSettings, OutputSelection, Target, realise};
use cairn_derivation::OutputName;
use cairn_eval::store::LocalEvalStore;
use cairn_store::local::{LocalStore, LocalStoreConfig};
use cairn_store::path::StorePath;

use super::eval::ExprArgs;
use crate::{Exit, Failure, GlobalOptions};

/// A derivation an expression selected, realised.
#[derive(Debug)]
pub(crate) struct Realised {
    /// The derivation's name (its `.drv` file's name without `.drv`).
    pub(crate) name: String,
    /// Where it was found, e.g. `hello` (empty for the selected value).
    pub(crate) attr_path: String,
    /// The path of the output the value stands for.
    pub(crate) output: StorePath,
}

/// Evaluates `expr`, writes the derivations it selects, and realises each
/// one's output (`outputName`) in the store under `global.store`. The store
/// is reopened and handed back for the caller to use next.
pub(crate) fn realise_expr(
    global: &GlobalOptions,
    expr: &ExprArgs,
    settings: &BuildSettings,
) -> Result<(Vec<Realised>, LocalStore), Failure> {
    let config = LocalStoreConfig::chroot(&global.store);
    let store = LocalEvalStore::new(config.clone())
        .with_builder(crate::ifd::builder(settings.clone(), global.quiet));
    let mut evaluator = expr.evaluator(Box::new(store));
    let found = expr.derivations(&mut evaluator)?;
    drop(evaluator);

    let mut store = LocalStore::open(config)?;
    let mut targets = Vec::new();
    for drv in &found {
        let output: OutputName = drv
            .output_name
            .parse()
            .with_context(|| format!("derivation has a bad outputName '{}'", drv.output_name))?;
        targets.push(Target {
            drv: drv.drv_path.clone(),
            outputs: OutputSelection::Names(BTreeSet::from([output])),
        });
    }
    let progress = crate::ifd::Announce {
        store_dir: store.store_dir().clone(),
        quiet: global.quiet,
    };
    let report = realise(&mut store, &targets, settings, None, &progress)?;
    for warning in &report.warnings {
        eprintln!("warning: {warning}");
    }
    if !report.success() {
        for failure in &report.failures {
            eprintln!("error: {failure}");
        }
        return Err(Failure::reported(Exit::BuildFailure));
    }
    let mut realised = Vec::new();
    for (drv, (_, outputs)) in found.iter().zip(&report.outputs) {
        let output = outputs.values().next().cloned().with_context(|| {
            format!(
                "building '{}' produced no output",
                store.store_dir().display_path(&drv.drv_path)
            )
        })?;
        let drv_name = drv.drv_path.name().to_string();
        realised.push(Realised {
            name: drv_name
                .strip_suffix(".drv")
                .unwrap_or(&drv_name)
                .to_owned(),
            attr_path: drv.attr_path.clone(),
            output,
        });
    }
    Ok((realised, store))
}
