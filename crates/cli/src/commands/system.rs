//! `cairn system`: build a whole machine from `configuration.nix`.

use std::path::PathBuf;

use cairn_eval::SearchPathEntry;
use cairn_eval::store::LocalEvalStore;
use cairn_os_activate::system::{self, SystemError, SystemSpec};
use cairn_store::local::{LocalStore, LocalStoreConfig};

use super::build::{BuildOptions, build_targets, target};
use crate::{Exit, Failure, GlobalOptions};

/// Build a system (users, /etc, services, packages) from NixOS-style modules.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Evaluate the configuration and build its toplevel; print its path
    /// and link `result` to it.
    Build(BuildArgs),
}

/// Where the configuration and the target machine are.
#[derive(Debug, clap::Args)]
struct SystemArgs {
    /// The configuration module.
    #[arg(
        short = 'c',
        long = "config",
        short_alias = 'f',
        alias = "file",
        value_name = "FILE",
        default_value = "configuration.nix"
    )]
    config: PathBuf,
    /// The target machine's root directory: its store is ROOT/nix/store
    /// (default: the store given by --store).
    #[arg(long, value_name = "ROOT")]
    root: Option<PathBuf>,
    /// Add a search path entry (`PATH` or `NAME=PATH`), e.g. `nixpkgs=PATH`.
    #[arg(short = 'I', value_name = "PATH")]
    include: Vec<String>,
}

#[derive(Debug, clap::Args)]
struct BuildArgs {
    #[command(flatten)]
    system: SystemArgs,
    #[command(flatten)]
    options: BuildOptions,
}

pub(crate) fn run(global: &GlobalOptions, args: Args) -> Result<(), Failure> {
    match args.command {
        Command::Build(args) => build(global, args),
    }
}

fn build(global: &GlobalOptions, args: BuildArgs) -> Result<(), Failure> {
    let mut global = global.clone();
    if let Some(root) = &args.system.root {
        global.store = root.clone();
    }
    let spec = SystemSpec {
        configuration: args.system.config.clone(),
        nix_dir: system::default_nix_dir(),
        search_path: args
            .system
            .include
            .iter()
            .map(|s| SearchPathEntry::parse(s))
            .collect(),
    };
    let config = LocalStoreConfig::chroot(&global.store);
    let instantiated =
        match system::instantiate(&spec, Box::new(LocalEvalStore::new(config.clone()))) {
            Ok(instantiated) => instantiated,
            Err(SystemError::Eval(rendered)) => {
                eprint!("{rendered}");
                return Err(Failure::reported(Exit::Failure));
            }
            Err(other) => return Err(other.into()),
        };
    let store = LocalStore::open(config)?;
    build_targets(
        &global,
        store,
        &[target(instantiated.drv, None)],
        &args.options,
    )
}
