//! `cairn instantiate`: evaluate derivations and write their `.drv` files,
//! as `nix-instantiate` does.

use std::path::PathBuf;

use cairn_eval::store::LocalEvalStore;
use cairn_store::local::{LocalStore, LocalStoreConfig};

use super::eval::ExprArgs;
use crate::output::write_stdout;
use crate::{Failure, GlobalOptions};

/// Write the derivations an expression describes into the store and print
/// their `.drv` paths.
///
/// Each line is a `.drv` path, followed by `!OUTPUT` when the value stands
/// for an output other than `out`, exactly as nix-instantiate prints it.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    expr: ExprArgs,
    /// Keep each `.drv` alive with a symlink at PATH (PATH-2, PATH-3 … for
    /// more), registered as a garbage-collector root; print the links.
    #[arg(long, value_name = "PATH")]
    add_root: Option<PathBuf>,
    /// Write nothing; print the paths that would be written.
    #[arg(long)]
    dry_run: bool,
}

pub(crate) fn run(global: &GlobalOptions, args: Args) -> Result<(), Failure> {
    let config = LocalStoreConfig::chroot(&global.store);
    let store = if args.dry_run {
        LocalEvalStore::dry_run(config.clone())
    } else {
        LocalEvalStore::new(config.clone()).with_builder(crate::ifd::builder(
            crate::ifd::default_settings(),
            global.quiet,
        ))
    };
    let mut evaluator = args.expr.evaluator(Box::new(store));
    let found = args.expr.derivations(&mut evaluator)?;
    let store_dir = evaluator.machine().store_dir();
    let mut store = match (&args.add_root, args.dry_run) {
        (Some(_), false) => Some(LocalStore::open(config)?),
        _ => None,
    };
    let mut out = String::new();
    for (i, drv) in found.iter().enumerate() {
        if drv.output_name.is_empty() {
            return Err(anyhow::anyhow!(
                "derivation '{}' lacks an 'outputName' attribute",
                store_dir.display_path(&drv.drv_path)
            )
            .into());
        }
        let mut shown = store_dir.display_path(&drv.drv_path);
        if let (Some(store), Some(root)) = (&mut store, &args.add_root) {
            let mut link = root.clone().into_os_string();
            if i > 0 {
                link.push(format!("-{}", i + 1));
            }
            let link = store.add_indirect_root(&drv.drv_path, &PathBuf::from(link))?;
            shown = link.to_string_lossy().into_owned();
        }
        out.push_str(&shown);
        if drv.output_name != "out" {
            out.push('!');
            out.push_str(&drv.output_name);
        }
        out.push('\n');
    }
    write_stdout(out.as_bytes())
}
