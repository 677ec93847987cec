//! `cairn profile …`: profiles and their generations (as `nix-env -p`).

use std::path::PathBuf;

use anyhow::Context;
use cairn_build::BuildSettings;
use cairn_generations::env::manifest::{DEFAULT_PRIORITY, Element};
use cairn_generations::{DeleteSpec, Profile, Switch};
use cairn_store::local::{LocalStore, LocalStoreConfig};

use super::eval::ExprArgs;
use super::realise_expr::realise_expr;
use crate::output::write_stdout;
use crate::{Failure, GlobalOptions};

/// Operate on a profile's generations.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The profile (default: ROOT/nix/var/nix/profiles/default for root,
    /// ROOT/nix/var/nix/profiles/per-user/USER/profile for others).
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
        /// The store path (or a link to one) the generation points at.
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
    /// Install packages into the profile's user environment, as `nix-env
    /// -i`: store paths (or links to them), or with -A the outputs of
    /// attributes of a file, evaluated and built first. An installed
    /// package with the same name (without version) is replaced.
    Install {
        /// Store paths to install; with -A, the first one that is not a
        /// store path is the file to evaluate (or give it with -f).
        items: Vec<PathBuf>,
        /// The file to evaluate for -A.
        #[arg(short = 'f', long, value_name = "FILE")]
        file: Option<PathBuf>,
        /// An attribute of FILE whose derivation to build and install
        /// (repeatable).
        #[arg(short = 'A', long = "attr", value_name = "ATTRPATH")]
        attrs: Vec<String>,
        /// Run builders as plain processes on the host (only for the store
        /// at /).
        #[arg(long)]
        no_sandbox: bool,
    },
    /// Remove packages from the profile's user environment, by name
    /// (`hello-2.12`), name without version (`hello`) or `*`, as `nix-env
    /// -e`.
    Remove {
        /// The packages to remove.
        #[arg(required = true)]
        names: Vec<String>,
    },
    /// List the packages installed in the profile, by name, as `nix-env
    /// -q`.
    List,
    /// Delete every generation but the current one, or with --older-than
    /// those older than N days (as `nix profile wipe-history`).
    WipeHistory {
        /// Only generations older than this (`Nd`), keeping the newest of
        /// them, which was current at the cutoff.
        #[arg(long, value_name = "AGE")]
        older_than: Option<String>,
        /// Print what would be deleted, and delete nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

pub(crate) fn run(global: &GlobalOptions, args: Args) -> Result<(), Failure> {
    let path = match args.profile {
        Some(path) => path,
        None => cairn_generations::default_profile(&global.store)?,
    };
    let profile = Profile::new(&path)?;
    match args.action {
        Action::Set { store_path } => {
            let mut store = open_store(global)?;
            let store_path = store.resolve(&store_path)?;
            profile.set_in_store(&mut store, &store_path)?;
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
            report_removed(global, &profile.delete(&spec)?, false);
        }
        Action::Install {
            items,
            file,
            attrs,
            no_sandbox,
        } => install(global, &profile, items, file, attrs, no_sandbox)?,
        Action::Remove { names } => {
            let mut store = open_store(global)?;
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            let change = profile.uninstall(&mut store, &names)?;
            if !global.quiet {
                for element in &change.removed {
                    eprintln!("uninstalling '{}'", element.name);
                }
            }
        }
        Action::List => {
            let store = open_store(global)?;
            let mut names: Vec<String> = profile
                .installed(&store)?
                .elements
                .into_iter()
                .map(|e| e.name)
                .collect();
            names.sort();
            let mut out = String::new();
            for name in names {
                out.push_str(&name);
                out.push('\n');
            }
            write_stdout(out.as_bytes())?;
        }
        Action::WipeHistory {
            older_than,
            dry_run,
        } => {
            let spec = wipe_spec(older_than.as_deref())?;
            let removed = if dry_run {
                profile.plan_delete(&spec, unix_now())?
            } else {
                profile.delete(&spec)?
            };
            report_removed(global, &removed, dry_run);
        }
    }
    Ok(())
}

fn open_store(global: &GlobalOptions) -> anyhow::Result<LocalStore> {
    LocalStore::open(LocalStoreConfig::chroot(&global.store))
        .with_context(|| format!("opening the store under {}", global.store.display()))
}

/// `profile install`: store paths as they are, attributes evaluated and
/// built, then one new generation with all of them.
fn install(
    global: &GlobalOptions,
    profile: &Profile,
    items: Vec<PathBuf>,
    file: Option<PathBuf>,
    attrs: Vec<String>,
    no_sandbox: bool,
) -> Result<(), Failure> {
    let mut store = open_store(global)?;
    let mut file = file;
    let mut paths = Vec::new();
    for item in items {
        match store.resolve(&item) {
            Ok(path) => paths.push(path),
            Err(_) if !attrs.is_empty() && file.is_none() => file = Some(item),
            Err(error) => {
                return Err(anyhow::Error::new(error)
                    .context(format!("'{}' is not a store path", item.display()))
                    .into());
            }
        }
    }
    let mut elements: Vec<Element> = paths
        .into_iter()
        .map(|path| Element {
            name: path.name().to_string(),
            store_paths: vec![path],
            attr_path: None,
            priority: DEFAULT_PRIORITY,
        })
        .collect();
    if !attrs.is_empty() {
        let file = file.context("-A needs a file to evaluate: give one with -f FILE")?;
        let expr = ExprArgs::file_with_attrs(file, attrs);
        let settings = BuildSettings {
            sandbox: !no_sandbox,
            build_users: BuildSettings::system_build_users(1),
            ..BuildSettings::default()
        };
        // The evaluator and the builder open the store themselves.
        drop(store);
        let (realised, reopened) = realise_expr(global, &expr, &settings)?;
        store = reopened;
        elements.extend(realised.into_iter().map(|r| Element {
            name: r.name,
            store_paths: vec![r.output],
            attr_path: Some(r.attr_path).filter(|a| !a.is_empty()),
            priority: DEFAULT_PRIORITY,
        }));
    } else if file.is_some() {
        return Err(
            anyhow::anyhow!("-f FILE needs attributes to install: give them with -A").into(),
        );
    }
    let change = profile.install(&mut store, elements.clone())?;
    if !global.quiet {
        for element in &change.removed {
            eprintln!("replacing old '{}'", element.name);
        }
        for element in &elements {
            eprintln!("installing '{}'", element.name);
        }
        for warning in &change.warnings {
            eprintln!("warning: {warning}");
        }
    }
    Ok(())
}

/// What `wipe-history` deletes: everything but the current generation, or
/// with `--older-than Nd`, what `--delete-generations Nd` would.
pub(crate) fn wipe_spec(older_than: Option<&str>) -> anyhow::Result<DeleteSpec> {
    match older_than {
        None => Ok(DeleteSpec::Old),
        Some(age) => match DeleteSpec::parse(&[age])? {
            spec @ DeleteSpec::OlderThanDays(_) => Ok(spec),
            _ => anyhow::bail!(
                "invalid number of days specifier '{age}', expected something like '14d'"
            ),
        },
    }
}

/// Reports deleted generations as `nix-env` does.
pub(crate) fn report_removed(global: &GlobalOptions, numbers: &[u64], dry_run: bool) {
    if global.quiet {
        return;
    }
    let verb = if dry_run { "would remove" } else { "removing" };
    for number in numbers {
        eprintln!("{verb} profile version {number}");
    }
}

pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
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
