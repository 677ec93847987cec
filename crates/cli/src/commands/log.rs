//! `cairn log DRV|PATH`: print a stored build log, as `nix log` does.

use std::path::PathBuf;

use cairn_store::local::{LocalStore, LocalStoreConfig};

use crate::output::write_stdout;
use crate::{Failure, GlobalOptions};

/// Print the build log of a derivation, or of the derivation that built a
/// store path (a `result` link works too).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A `.drv`, an output path, or a link to one.
    path: PathBuf,
}

pub(crate) fn run(global: &GlobalOptions, args: Args) -> Result<(), Failure> {
    let store = LocalStore::open(LocalStoreConfig::chroot(&global.store))?;
    let path = store.resolve(&args.path)?;
    match cairn_build::realise::log::find_log(&store, &path)? {
        Some(log) => write_stdout(&log),
        None => Err(anyhow::anyhow!(
            "build log of '{}' is not available",
            store.store_dir().display_path(&path)
        )
        .into()),
    }
}
