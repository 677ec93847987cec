//! `cairn build [FILE | -E EXPR | DRV…]`: evaluate, realise and print the
//! output paths, leaving `result` links, as nix-build does.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use cairn_build::realise::progress::{Display, LogFormat};
use cairn_build::realise::request::{self, Request};
use cairn_build::{BindPath, BuildSettings, Substituter, realise};
use cairn_cache::{BinaryCache, HttpOptions, SubstituteOptions, Substituters, TrustedKeys};
use cairn_eval::store::LocalEvalStore;
use cairn_store::local::{LocalStore, LocalStoreConfig};

use super::eval::ExprArgs;
use crate::output::write_stdout;
use crate::{Exit, Failure, GlobalOptions};

/// Build the derivations an expression describes (or `.drv` files) and
/// print their output paths, as nix-build does.
///
/// Without `.drv` arguments, FILE (default `./default.nix`) or `-E EXPR` is
/// evaluated, `-A` selects attributes, functions are called with `--arg`
/// and `--argstr`, and every derivation found is built: the output its
/// value stands for. A `.drv` path (or a link to one) builds its
/// `outputName` (else `out`); `DRV!dev` names an output, `DRV!*` all.
/// Each result gets a link: result, result-dev, result-2, …
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    expr: ExprArgs,
    /// More `.drv` paths, after the first given as FILE.
    #[arg(value_name = "DRV")]
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
    #[arg(long, visible_alias = "no-out-link", conflicts_with = "out_link")]
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
    /// Rebuild outputs that are valid already and compare them bit for bit
    /// with the valid ones (nothing is registered).
    #[arg(long)]
    check: bool,
    /// How to show the builds: `raw` (every log line), `bar` (one status
    /// line), `json` (Nix's internal-json lines); default: bar on a
    /// terminal with several builds, raw otherwise.
    #[arg(long, value_name = "FORMAT", value_parser = ["raw", "bar", "json"])]
    log_format: Option<String>,
    /// Substitute from these binary caches before building (URLs separated
    /// by spaces; repeatable).
    #[arg(long, value_name = "URLS")]
    substituters: Vec<String>,
    /// Keys trusted to sign substitutes (`name:base64`, separated by
    /// spaces; repeatable).
    #[arg(long, value_name = "KEYS")]
    trusted_public_keys: Vec<String>,
    /// Accept substitutes that no trusted key signed (dangerous).
    #[arg(long)]
    no_require_sigs: bool,
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
            check: self.check,
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

    /// The binary caches to substitute from, if any were given.
    fn substituters(&self, store: &LocalStore) -> Result<Option<Substituters>, Failure> {
        let urls: Vec<&str> = self
            .substituters
            .iter()
            .flat_map(|urls| urls.split_whitespace())
            .collect();
        if urls.is_empty() {
            return Ok(None);
        }
        let http = HttpOptions::default();
        let caches = urls
            .iter()
            .map(|url| BinaryCache::open(url, store.store_dir(), &http))
            .collect::<Result<Vec<_>, _>>()?;
        let trusted_keys = TrustedKeys::parse(
            self.trusted_public_keys
                .iter()
                .flat_map(|keys| keys.split_whitespace()),
        )?;
        Ok(Some(Substituters::new(
            caches,
            SubstituteOptions {
                trusted_keys,
                require_sigs: !self.no_require_sigs,
                ..SubstituteOptions::default()
            },
        )))
    }

    fn log_format(&self) -> Option<LogFormat> {
        match self.log_format.as_deref() {
            Some("raw") => Some(LogFormat::Raw),
            Some("bar") => Some(LogFormat::Bar),
            Some("json") => Some(LogFormat::Json),
            _ => None,
        }
    }
}

pub(crate) fn run(global: &GlobalOptions, args: Args) -> Result<(), Failure> {
    let config = LocalStoreConfig::chroot(&global.store);
    let requests = match drv_arguments(&args) {
        Some(drvs) => {
            let store = LocalStore::open(config.clone())?;
            let mut requests = Vec::new();
            for text in drvs {
                requests.extend(Request::from_drv_arg(&store, text)?);
            }
            requests
        }
        None => evaluate(&args.expr, config.clone(), &args.options, global.quiet)?,
    };
    let store = LocalStore::open(config)?;
    build_requests(global, store, &requests, &args.options)
}

/// The `.drv` arguments, when the first positional argument is one (then
/// every one must be); `None` when there is an expression to evaluate.
fn drv_arguments(args: &Args) -> Option<Vec<&str>> {
    let first = args.expr.file()?.to_str()?;
    let path = first.rsplit_once('!').map_or(first, |(path, _)| path);
    let is_drv = path.ends_with(".drv")
        || std::fs::canonicalize(path).is_ok_and(|p| p.extension().is_some_and(|e| e == "drv"));
    if args.expr.has_expr() || !is_drv {
        return None;
    }
    Some(
        std::iter::once(first)
            .chain(args.drvs.iter().map(String::as_str))
            .collect(),
    )
}

/// Evaluates the expression, writes the derivations found and returns what
/// to build of them.
fn evaluate(
    expr: &ExprArgs,
    config: LocalStoreConfig,
    options: &BuildOptions,
    quiet: bool,
) -> Result<Vec<Request>, Failure> {
    // Import from derivation builds as this command would.
    let store =
        LocalEvalStore::new(config).with_builder(crate::ifd::builder(options.settings()?, quiet));
    let mut evaluator = expr.evaluator(Box::new(store));
    let found = expr.derivations(&mut evaluator)?;
    let store_dir = evaluator.machine().store_dir();
    found
        .into_iter()
        .map(|drv| {
            let output = cairn_derivation::OutputName::new(&drv.output_name).map_err(|_| {
                anyhow::anyhow!(
                    "derivation '{}' lacks an 'outputName' attribute",
                    store_dir.display_path(&drv.drv_path)
                )
            })?;
            Ok(Request {
                drv: drv.drv_path,
                output,
            })
        })
        .collect()
}

/// Realises `requests`, prints the output paths and makes the result links.
pub(crate) fn build_requests(
    global: &GlobalOptions,
    mut store: LocalStore,
    requests: &[Request],
    options: &BuildOptions,
) -> Result<(), Failure> {
    let settings = options.settings()?;
    let substituters = options.substituters(&store)?;
    let substituter = substituters.as_ref().map(|s| s as &dyn Substituter);
    let display = Display::new(
        store.store_dir().clone(),
        options.log_format(),
        global.quiet,
    );
    let targets = request::targets(requests);
    let report = realise(&mut store, &targets, &settings, substituter, &display)?;
    display.clear();
    if global.verbose > 0 && !report.timings.is_empty() {
        eprintln!("{}", cairn_build::TimingSummary::of(&report.timings));
    }
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
    for (request, result) in
        requests
            .iter()
            .zip(request::results(&options.out_link, requests, &report))
    {
        let result = result.with_context(|| {
            format!(
                "output '{}' of '{}' was not built",
                request.output,
                store.store_dir().display_path(&request.drv)
            )
        })?;
        if !options.no_link {
            store.add_indirect_root(&result.path, &result.link)?;
        }
        out.push_str(&store.store_dir().display_path(&result.path));
        out.push('\n');
    }
    write_stdout(out.as_bytes())
}
