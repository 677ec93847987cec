//! `cairn profile …`: profiles and their generations (as `nix-env -p`).

use std::path::PathBuf;

use anyhow::Context;
use cairn_generations::{DeleteSpec, Profile, Switch};

use crate::output::write_stdout;
use crate::{Failure, GlobalOptions};

/// Operate on a profile's generations.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The profile (default: ROOT/nix/var/nix/profiles/default).
    #[arg(short, long, global = true, value_name = "PATH")]
    profile: Option<PathBuf>,
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Make STORE-PATH the profile's current generation (a new one unless
    /// the newest already points there), as `nix-env --set`.
    Set {
        /// The store path the generation points at.
        store_path: PathBuf,
    },
    /// Switch to the previous generation, as `nix-env --rollback`.
    Rollback,
    /// Switch to generation NUMBER, as `nix-env --switch-generation`.
    SwitchGeneration {
        /// The generation to switch to.
        number: String,
    },
    /// List the generations with their dates, marking the current one.
    ListGenerations,
    /// Delete generations: numbers, `old` (all but the current), `+N`
    /// (keep the last N) or `Nd` (older than N days); never the current one.
    DeleteGenerations {
        /// What to delete.
        #[arg(required = true, allow_hyphen_values = true)]
        spec: Vec<String>,
    },
}

pub(crate) fn run(global: &GlobalOptions, args: Args) -> Result<(), Failure> {
    let path = args
        .profile
        .unwrap_or_else(|| global.store.join("nix/var/nix/profiles/default"));
    let profile = Profile::new(&path)?;
    match args.action {
        Action::Set { store_path } => {
            profile.set(&store_path)?;
        }
        Action::Rollback => report_switch(global, profile.rollback()?),
        Action::SwitchGeneration { number } => {
            let number = cairn_generations::parse_generation_number(number.as_bytes())
                .with_context(|| format!("invalid generation number '{number}'"))?;
            report_switch(global, profile.switch_to(number)?);
        }
        Action::ListGenerations => {
            let listing = cairn_generations::format_listing(&profile.generations()?)?;
            write_stdout(listing.as_bytes())?;
        }
        Action::DeleteGenerations { spec } => {
            let spec = DeleteSpec::parse(&spec)?;
            for number in profile.delete(&spec)? {
                if !global.quiet {
                    eprintln!("removing profile version {number}");
                }
            }
        }
    }
    Ok(())
}

fn report_switch(global: &GlobalOptions, switch: Switch) {
    if global.quiet {
        return;
    }
    match switch.from {
        Some(from) => eprintln!("switching profile from version {from} to {}", switch.to),
        None => eprintln!("switching profile to version {}", switch.to),
    }
}
