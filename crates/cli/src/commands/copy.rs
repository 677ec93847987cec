//! `cairn copy`: closures between the local store and binary caches.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::Context;
use cairn_cache::{
    BinaryCache, Compression, HttpOptions, Progress, SubstituteOptions, Substituters, TrustedKeys,
    UploadOptions,
};
use cairn_store::local::{LocalStore, LocalStoreConfig};
use cairn_store::path::StorePath;

use crate::{Failure, GlobalOptions};

/// Copy store paths with their closures to or from a binary cache.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("direction").required(true).args(["to", "from"])))]
pub struct Args {
    /// Upload to this cache (`file:///dir`, `http(s)://…`).
    #[arg(long, value_name = "URL")]
    to: Option<String>,
    /// Substitute from these caches into the local store (repeatable; the
    /// cache's priority decides the order).
    #[arg(long, value_name = "URL")]
    from: Vec<String>,
    /// How to compress uploaded NARs.
    #[arg(long, value_name = "METHOD", default_value = "xz", value_parser = ["none", "xz", "zstd", "bzip2"])]
    compression: String,
    /// Sign uploaded paths with this secret key.
    #[arg(long, value_name = "FILE")]
    key_file: Option<PathBuf>,
    /// Keys trusted to sign substituted paths, separated by spaces
    /// (`name:base64`, as in Nix's `trusted-public-keys`); repeatable.
    #[arg(long, value_name = "KEYS")]
    trusted_public_keys: Vec<String>,
    /// Accept paths no trusted key signed (dangerous).
    #[arg(long)]
    no_check_sigs: bool,
    /// How many transfers run at once.
    #[arg(long, short = 'j', default_value_t = 4)]
    jobs: usize,
    /// Store paths (or links to them). With --from they need not exist yet.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

/// Counts what went by, and prints each finished path with `-v`.
struct Counter {
    verbose: bool,
    paths: AtomicUsize,
    bytes: AtomicU64,
    store_dir: cairn_store::path::StoreDir,
}

impl Progress for Counter {
    fn bytes(&self, n: u64) {
        self.bytes.fetch_add(n, Ordering::Relaxed);
    }

    fn finished(&self, path: &StorePath) {
        self.paths.fetch_add(1, Ordering::Relaxed);
        if self.verbose {
            eprintln!("copied {}", self.store_dir.display_path(path));
        }
    }

    fn retrying(&self, path: &StorePath, error: &dyn std::error::Error) {
        eprintln!(
            "warning: retrying {}: {error}",
            self.store_dir.display_path(path)
        );
    }
}

pub(crate) fn run(global: &GlobalOptions, args: Args) -> Result<(), Failure> {
    let mut store = LocalStore::open(LocalStoreConfig::chroot(&global.store))
        .with_context(|| format!("opening the store under {}", global.store.display()))?;
    let counter = Counter {
        verbose: global.verbose > 0,
        paths: AtomicUsize::new(0),
        bytes: AtomicU64::new(0),
        store_dir: store.store_dir().clone(),
    };
    let started = Instant::now();
    let http = HttpOptions::default();
    if let Some(url) = &args.to {
        let paths = args
            .paths
            .iter()
            .map(|p| store.resolve(p))
            .collect::<Result<Vec<_>, _>>()?;
        let compression: Compression = args.compression.parse()?;
        let secret_key = args
            .key_file
            .as_deref()
            .map(super::cache::read_secret_key)
            .transpose()?;
        let cache = BinaryCache::open_for_upload(url, store.store_dir(), &http)?;
        let options = UploadOptions {
            compression,
            secret_key,
            jobs: args.jobs,
        };
        let report = cairn_cache::upload(&store, &cache, &paths, &options, &counter)?;
        if !global.quiet {
            eprintln!(
                "uploaded {} paths ({} already there), {}",
                report.uploaded.len(),
                report.skipped,
                rate(report.nar_bytes, started)
            );
        }
        return Ok(());
    }
    let paths = args
        .paths
        .iter()
        .map(|p| store.store_dir().store_path_of(&p.to_string_lossy()))
        .collect::<Result<Vec<_>, _>>()?;
    let trusted = TrustedKeys::parse(
        args.trusted_public_keys
            .iter()
            .flat_map(|keys| keys.split_whitespace()),
    )?;
    let caches = args
        .from
        .iter()
        .map(|url| BinaryCache::open(url, store.store_dir(), &http))
        .collect::<Result<Vec<_>, _>>()?;
    let substituters = Substituters::new(
        caches,
        SubstituteOptions {
            trusted_keys: trusted,
            require_sigs: !args.no_check_sigs,
            download_jobs: args.jobs.max(1),
            ..SubstituteOptions::default()
        },
    );
    let report = substituters.substitute(&mut store, &paths, &counter)?;
    if !global.quiet {
        eprintln!(
            "copied {} paths, {}",
            report.substituted.len(),
            rate(report.nar_bytes, started)
        );
    }
    Ok(())
}

fn rate(bytes: u64, started: Instant) -> String {
    let seconds = started.elapsed().as_secs_f64().max(1e-3);
    let mib = bytes as f64 / (1024.0 * 1024.0);
    format!(
        "{mib:.2} MiB in {seconds:.2} s ({:.1} MiB/s)",
        mib / seconds
    )
}
