//! `cairn derivation show`: print `.drv` files as JSON, as
//! `nix derivation show` does.

use std::collections::BTreeSet;
use std::path::PathBuf;

use anyhow::{Context, anyhow};
use cairn_derivation::Derivation;
use cairn_store::local::{LocalStore, LocalStoreConfig};
use cairn_store::path::StorePath;

use crate::output::write_stdout;
use crate::{Failure, GlobalOptions};

/// Work with store derivations.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: DerivationCommand,
}

#[derive(Debug, clap::Subcommand)]
enum DerivationCommand {
    /// Print derivations as JSON: a map from `.drv` path to derivation
    /// (format version 3 of `nix derivation show`).
    Show {
        /// `.drv` files, links to them, or outputs (shown by the
        /// derivation that built them).
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Also show every derivation they depend on.
        #[arg(short, long)]
        recursive: bool,
    },
}

pub(crate) fn run(global: &GlobalOptions, args: Args) -> Result<(), Failure> {
    let DerivationCommand::Show { paths, recursive } = args.command;
    let store = LocalStore::open(LocalStoreConfig::chroot(&global.store))?;
    let mut todo = Vec::new();
    for given in &paths {
        let path = store.resolve(given)?;
        let drv_path = if path.is_derivation() {
            path
        } else {
            store
                .path_info(&path)?
                .and_then(|info| info.deriver)
                .ok_or_else(|| {
                    anyhow!(
                        "'{}' is not a derivation and has no known deriver",
                        given.display()
                    )
                })?
        };
        todo.push(drv_path);
    }
    let mut shown = BTreeSet::new();
    let mut out = serde_json::Map::new();
    while let Some(drv_path) = todo.pop() {
        if !shown.insert(drv_path.clone()) {
            continue;
        }
        let drv = read(&store, &drv_path)?;
        if recursive {
            todo.extend(drv.input_derivations.keys().cloned());
        }
        out.insert(
            store.store_dir().display_path(&drv_path),
            drv.to_json(store.store_dir())?,
        );
    }
    let mut text = serde_json::Value::Object(out).to_string();
    text.push('\n');
    write_stdout(text.as_bytes())
}

fn read(store: &LocalStore, drv_path: &StorePath) -> anyhow::Result<Derivation> {
    let file = store.real_path(drv_path);
    let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
    Derivation::from_drv_file(&bytes, store.store_dir(), drv_path)
        .with_context(|| format!("parsing {}", file.display()))
}
