//! `cairn system`: build a whole machine from `configuration.nix`.

use std::path::PathBuf;

use cairn_build::{BindPath, BuildFailure, BuildSettings, Progress, Request};
use cairn_eval::SearchPathEntry;
use cairn_eval::store::LocalEvalStore;
use cairn_os_activate::activate::{self, Action, ActivationReport};
use cairn_os_activate::root::MachineRoot;
use cairn_os_activate::system::{self, SystemError, SystemSpec};
use cairn_store::local::{LocalStore, LocalStoreConfig};
use cairn_store::path::StorePath;

use super::build::{BuildOptions, build_requests};
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
    /// Build, make it the boot default, and activate it now.
    Switch(ActivateArgs),
    /// Build and make it the boot default; activate on next boot.
    Boot(ActivateArgs),
    /// Build and activate it now, leaving the boot default as it is.
    Test(ActivateArgs),
    /// Build and print what activation would change, changing nothing.
    DryActivate(ActivateArgs),
    /// Go back to the previous system generation and activate it.
    Rollback(RootArgs),
    /// List the system profile's generations.
    ListGenerations(RootArgs),
    /// Finish an activation that was interrupted (a crash, a power cut).
    Resume(RootArgs),
}

/// The machine to act on.
#[derive(Debug, clap::Args)]
struct RootArgs {
    /// The target machine's root directory (default: /).
    #[arg(long, value_name = "ROOT", default_value = "/")]
    root: PathBuf,
}

/// Options of the commands that build and activate.
#[derive(Debug, clap::Args)]
struct ActivateArgs {
    #[command(flatten)]
    system: SystemArgs,
    /// Show host path SOURCE at TARGET in every build sandbox
    /// (TARGET=SOURCE, or one path for both); repeatable.
    #[arg(long = "sandbox-path", value_name = "TARGET=SOURCE")]
    sandbox_paths: Vec<String>,
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
        Command::Switch(args) => activate(global, args, Action::Switch),
        Command::Boot(args) => activate(global, args, Action::Boot),
        Command::Test(args) => activate(global, args, Action::Test),
        Command::DryActivate(args) => activate(global, args, Action::DryActivate),
        Command::Rollback(args) => {
            let report = activate::rollback(&MachineRoot::new(&args.root))?;
            print_report(&report, Action::Switch);
            Ok(())
        }
        Command::Resume(args) => {
            let report = activate::resume(&MachineRoot::new(&args.root))?;
            print_report(&report, Action::Switch);
            Ok(())
        }
        Command::ListGenerations(args) => {
            let profile = activate::system_profile(&MachineRoot::new(&args.root))?;
            let listing = cairn_generations::format_listing(&profile.generations()?)?;
            crate::output::write_stdout(listing.as_bytes())
        }
    }
}

fn spec(args: &SystemArgs) -> SystemSpec {
    SystemSpec {
        configuration: args.config.clone(),
        nix_dir: system::default_nix_dir(),
        search_path: args
            .include
            .iter()
            .map(|s| SearchPathEntry::parse(s))
            .collect(),
    }
}

/// Builds the system into the machine's store (nothing is switched if
/// evaluation or a build fails), then applies `action`.
fn activate(global: &GlobalOptions, args: ActivateArgs, action: Action) -> Result<(), Failure> {
    let root_dir = args
        .system
        .root
        .clone()
        .unwrap_or_else(|| global.store.clone());
    let mut settings = BuildSettings {
        build_users: BuildSettings::system_build_users(1),
        ..BuildSettings::default()
    };
    for given in &args.sandbox_paths {
        settings.sandbox_paths.push(match given.split_once('=') {
            Some((inside, host)) => BindPath::new(inside, host),
            None => BindPath::same(given),
        });
    }
    let progress = Announce {
        quiet: global.quiet,
    };
    let toplevel = match system::build(&spec(&args.system), &root_dir, &settings, &progress) {
        Ok(path) => path,
        Err(SystemError::Eval(rendered)) => {
            eprint!("{rendered}");
            return Err(Failure::reported(Exit::Failure));
        }
        Err(SystemError::BuildFailed(text)) => {
            eprintln!("error: {text}");
            return Err(Failure::reported(Exit::BuildFailure));
        }
        Err(other) => return Err(other.into()),
    };
    let machine_path = PathBuf::from(format!("/nix/store/{toplevel}"));
    let report = activate::apply(&MachineRoot::new(&root_dir), &machine_path, action)?;
    print_report(&report, action);
    Ok(())
}

fn print_report(report: &ActivationReport, action: Action) {
    for warning in &report.warnings {
        eprintln!("warning: {warning}");
    }
    if let Some(generation) = report.generation {
        eprintln!("system generation {generation}");
    }
    if let Some(plan) = &report.units {
        let list = |verb: &str, names: &std::collections::BTreeSet<String>| {
            if !names.is_empty() {
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                eprintln!("{verb} the following units: {}", names.join(", "));
            }
        };
        let verb = |now: &'static str, would: &'static str| {
            if action == Action::DryActivate {
                would
            } else {
                now
            }
        };
        list(verb("stopping", "would stop"), &plan.stop);
        list(verb("restarting", "would restart"), &plan.restart);
        list(verb("reloading", "would reload"), &plan.reload);
        list(verb("starting", "would start"), &plan.start);
        for (name, why) in &plan.skip {
            eprintln!("NOT restarting {name}: {why}");
        }
    }
    for path in &report.would_install {
        eprintln!("would install {}", path.display());
    }
}

/// Says which builds start.
struct Announce {
    quiet: bool,
}

impl Progress for Announce {
    fn started(&self, drv: &StorePath, _log: &std::path::Path) {
        if !self.quiet {
            eprintln!("building '/nix/store/{drv}'...");
        }
    }
    fn log(&self, _drv: &StorePath, _chunk: &[u8]) {}
    fn finished(&self, _drv: &StorePath, _failure: Option<&BuildFailure>) {}
}

fn build(global: &GlobalOptions, args: BuildArgs) -> Result<(), Failure> {
    let mut global = global.clone();
    if let Some(root) = &args.system.root {
        global.store = root.clone();
    }
    let spec = spec(&args.system);
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
    let toplevel = Request {
        drv: instantiated.drv,
        output: cairn_derivation::OutputName::new("out").map_err(anyhow::Error::from)?,
    };
    build_requests(&global, store, &[toplevel], &args.options)
}
