//! `cairn build DRV…`: realise derivations and print their output paths,
//! leaving `result` links as nix-build does.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use cairn_build::{
    BindPath, BuildFailure, BuildSettings, OutputSelection, Progress, Target, realise,
};
use cairn_derivation::OutputName;
use cairn_store::local::{LocalStore, LocalStoreConfig};
use cairn_store::path::StorePath;

use crate::output::write_stdout;
use crate::{Exit, Failure, GlobalOptions};

/// Build derivations and print their output paths.
///
/// Each DRV is a `.drv` store path (or a link to one), optionally followed by `!OUTPUT[,OUTPUT…]`
/// (`!*` for all outputs, the default). Outputs that are valid already are
/// not rebuilt.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The derivations to build.
    #[arg(value_name = "DRV", required = true)]
    drvs: Vec<String>,
    #[command(flatten)]
    options: BuildOptions,
}

/// How to build and where to leave the results; shared by every command
/// that builds.
#[derive(Debug, Clone, clap::Args)]
pub struct BuildOptions {
    /// Name the result links LINK, LINK-dev, LINK-2 … (default: result).
    #[arg(
        short = 'o',
        long = "out-link",
        value_name = "LINK",
        default_value = "result"
    )]
    out_link: PathBuf,
    /// Leave no result links.
    #[arg(long, conflicts_with = "out_link")]
    no_link: bool,
    /// How many builds may run at once (a number or `auto`).
    #[arg(short = 'j', long = "max-jobs", value_name = "N", default_value = "1")]
    max_jobs: String,
    /// NIX_BUILD_CORES for each builder (0: all the machine's cores).
    #[arg(long, value_name = "N")]
    cores: Option<usize>,
    /// Keep building what does not depend on a failed build.
    #[arg(short = 'k', long)]
    keep_going: bool,
    /// Kill a builder that runs longer than S seconds.
    #[arg(long, value_name = "S")]
    timeout: Option<u64>,
    /// Kill a builder that prints nothing for S seconds.
    #[arg(long = "max-silent-time", value_name = "S")]
    max_silent_time: Option<u64>,
    /// Run builders as plain processes on the host (only for the store at /).
    #[arg(long)]
    no_sandbox: bool,
    /// Show host path SOURCE at TARGET in every sandbox (TARGET=SOURCE, or
    /// one path for both); repeatable.
    #[arg(long = "sandbox-path", value_name = "TARGET=SOURCE")]
    sandbox_paths: Vec<String>,
}

impl BuildOptions {
    fn settings(&self) -> Result<BuildSettings, Failure> {
        let max_jobs = if self.max_jobs == "auto" {
            std::thread::available_parallelism().map_or(1, usize::from)
        } else {
            self.max_jobs
                .parse::<usize>()
                .with_context(|| format!("invalid --max-jobs '{}'", self.max_jobs))?
                .max(1)
        };
        let mut settings = BuildSettings {
            max_jobs,
            keep_going: self.keep_going,
            timeout: self.timeout.map(Duration::from_secs),
            max_silent: self.max_silent_time.map(Duration::from_secs),
            sandbox: !self.no_sandbox,
            build_users: BuildSettings::system_build_users(max_jobs),
            ..BuildSettings::default()
        };
        if let Some(cores) = self.cores.filter(|&c| c > 0) {
            settings.cores = cores;
        }
        for given in &self.sandbox_paths {
            let bind = match given.split_once('=') {
                Some((inside, host)) => BindPath::new(inside, host),
                None => BindPath::same(given),
            };
            settings.sandbox_paths.push(bind);
        }
        Ok(settings)
    }
}

pub(crate) fn run(global: &GlobalOptions, args: Args) -> Result<(), Failure> {
    let store = LocalStore::open(LocalStoreConfig::chroot(&global.store))?;
    let targets = args
        .drvs
        .iter()
        .map(|text| Target::resolve(&store, text))
        .collect::<Result<Vec<_>, _>>()?;
    build_targets(global, store, &targets, &args.options)
}

/// Builds `targets` (derivations with their wanted outputs), prints the
/// output paths and makes the result links. Evaluating commands call this
/// with the derivations they found.
pub(crate) fn build_targets(
    global: &GlobalOptions,
    mut store: LocalStore,
    targets: &[Target],
    options: &BuildOptions,
) -> Result<(), Failure> {
    let settings = options.settings()?;
    let progress = CliProgress {
        store_dir: store.store_dir().clone(),
        quiet: global.quiet,
        live: AtomicBool::new(false),
        one_target: targets.len() == 1,
    };
    let report = realise(&mut store, targets, &settings, None, &progress)?;
    for warning in &report.warnings {
        eprintln!("warning: {warning}");
    }
    if !report.success() {
        for failure in &report.failures {
            eprintln!("error: {failure}");
        }
        return Err(Failure::reported(Exit::BuildFailure));
    }
    let mut out = String::new();
    // nix-build's names: result, result-dev, result-2, result-2-dev, …
    let mut prefixes: BTreeMap<&StorePath, String> = BTreeMap::new();
    for (drv, outputs) in &report.outputs {
        let count = prefixes.len();
        let prefix = prefixes.entry(drv).or_insert_with(|| {
            let mut prefix = options.out_link.to_string_lossy().into_owned();
            if count > 0 {
                prefix.push_str(&format!("-{}", count + 1));
            }
            prefix
        });
        for (name, path) in outputs {
            if !options.no_link {
                store.add_indirect_root(path, &PathBuf::from(link_name(prefix, name)))?;
            }
            out.push_str(&store.store_dir().display_path(path));
            out.push('\n');
        }
    }
    write_stdout(out.as_bytes())
}

fn link_name(prefix: &str, output: &OutputName) -> String {
    if output.is_out() {
        prefix.to_owned()
    } else {
        format!("{prefix}-{output}")
    }
}

/// Says which builds start; shows a build's output live while it is the
/// only one (a single target with nothing else to build).
struct CliProgress {
    store_dir: cairn_store::path::StoreDir,
    quiet: bool,
    live: AtomicBool,
    one_target: bool,
}

impl Progress for CliProgress {
    fn started(&self, drv: &StorePath, _log: &std::path::Path) {
        if !self.quiet {
            eprintln!("building '{}'...", self.store_dir.display_path(drv));
        }
        self.live.store(self.one_target, Ordering::Relaxed);
    }

    fn log(&self, _drv: &StorePath, chunk: &[u8]) {
        if !self.quiet && self.live.load(Ordering::Relaxed) {
            let _ = std::io::stderr().lock().write_all(chunk);
        }
    }

    fn finished(&self, _drv: &StorePath, _failure: Option<&BuildFailure>) {}
}

/// The wanted outputs of a target, for callers that list them.
#[allow(dead_code)] // used by the evaluating commands once they build
pub(crate) fn target(drv: StorePath, outputs: Option<Vec<OutputName>>) -> Target {
    Target {
        drv,
        outputs: match outputs {
            None => OutputSelection::All,
            Some(names) => OutputSelection::Names(names.into_iter().collect()),
        },
    }
}
