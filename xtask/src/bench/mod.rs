//! `cargo xtask bench-vs-nix`: whole-program timings of cairn against Nix.
//!
//! Each workload names a cairn command and the Nix command that does the same
//! job. Both run on the same prepared inputs, alternating (cairn first in even
//! rounds, Nix first in odd ones) after a few warm-up runs, so that drift in
//! the machine's state hits both sides alike. The report gives, per
//! workload, the median wall time and median peak resident memory of each
//! side and the cairn/Nix ratio of each: below 1 means cairn is better.
//!
//! We time the processes ourselves rather than through hyperfine because
//! hyperfine runs one command's series after the other (no interleaving) and
//! the version Debian ships does not record memory; `wait4` gives the peak
//! RSS of exactly the child we started.

mod copy_from;
mod machine;
mod runner;
mod workloads;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use runner::{Invocation, Summary};
use workloads::{Volume, Workload};

/// Options of `cargo xtask bench-vs-nix`.
#[derive(Debug, clap::Args)]
pub struct Options {
    /// Workloads to run (all when none is named).
    workloads: Vec<String>,
    /// Timed runs of each side, per workload.
    #[arg(long, default_value_t = 10)]
    runs: usize,
    /// Untimed runs of each side before timing starts.
    #[arg(long, default_value_t = 2)]
    warmup: usize,
    /// List the workloads and exit.
    #[arg(long)]
    list: bool,
    /// The cairn binary to time (default: build `target/release/cairn`).
    #[arg(long)]
    cairn: Option<PathBuf>,
    /// The directory workloads make their files and stores in (default:
    /// the system's temporary directory). Store-heavy workloads measure
    /// its filesystem as much as either program.
    #[arg(long)]
    scratch: Option<PathBuf>,
}

pub fn run(options: &Options) -> anyhow::Result<()> {
    let all = workloads::all();
    if options.list {
        for workload in &all {
            println!("{:<16} {}", workload.name, workload.about);
        }
        return Ok(());
    }
    let selected = select(&all, &options.workloads)?;
    if options.runs == 0 {
        bail!("--runs must be at least 1");
    }
    let cairn = match &options.cairn {
        Some(path) => path.clone(),
        None => build_release_cairn()?,
    };
    let scratch_parent = options.scratch.clone().unwrap_or_else(std::env::temp_dir);
    let scratch = tempfile::Builder::new()
        .prefix("cairn-bench-")
        .tempdir_in(&scratch_parent)
        .with_context(|| format!("making a scratch directory in {}", scratch_parent.display()))?;

    println!("machine: {}", machine::describe());
    println!(
        "cairn:   {} ({})",
        version_of(Command::new(&cairn).arg("--version")),
        cairn.display()
    );
    println!(
        "nix:     {}",
        version_of(Command::new("nix-instantiate").arg("--version"))
    );
    println!(
        "scratch: {} ({})",
        scratch_parent.display(),
        machine::filesystem(&scratch_parent)
    );
    println!(
        "runs:    {} timed (+{} warm-up) per side, alternating",
        options.runs, options.warmup
    );
    println!();
    println!(
        "{:<16} {:>11} {:>11} {:>7}   {:>10} {:>10} {:>7}",
        "workload", "cairn time", "nix time", "ratio", "cairn mem", "nix mem", "ratio"
    );
    for workload in selected {
        let dir = scratch.path().join(workload.name);
        std::fs::create_dir_all(&dir)?;
        (workload.setup)(&dir)
            .with_context(|| format!("preparing workload `{}`", workload.name))?;
        let started = (workload.start)(&dir, &cairn)
            .with_context(|| format!("starting workload `{}`", workload.name))?;
        let cairn_run = Invocation::cairn(&cairn, workload, &dir, &started.vars);
        let nix_run = Invocation::nix(workload, &dir, &started.vars);
        let (ours, theirs) = runner::compare(&cairn_run, &nix_run, options.warmup, options.runs)
            .with_context(|| format!("running workload `{}`", workload.name))?;
        print_row(workload.name, &ours, &theirs);
        if let Some(volume) = started.volume {
            print_rates(volume, &ours, &theirs);
        }
        // Stops the workload's server, if any.
        drop(started);
    }
    Ok(())
}

fn select<'a>(all: &'a [Workload], names: &[String]) -> anyhow::Result<Vec<&'a Workload>> {
    if names.is_empty() {
        return Ok(all.iter().collect());
    }
    names
        .iter()
        .map(|name| {
            all.iter().find(|w| w.name == name).with_context(|| {
                let known: Vec<_> = all.iter().map(|w| w.name).collect();
                format!("no workload `{name}` (known: {})", known.join(", "))
            })
        })
        .collect()
}

fn print_row(name: &str, ours: &Summary, theirs: &Summary) {
    let time_ratio = ours.median_wall.as_secs_f64() / theirs.median_wall.as_secs_f64();
    let mem_ratio = ours.median_peak_kib as f64 / theirs.median_peak_kib.max(1) as f64;
    println!(
        "{:<16} {:>11} {:>11} {:>7.2}   {:>10} {:>10} {:>7.2}",
        name,
        runner::format_duration(ours.median_wall),
        runner::format_duration(theirs.median_wall),
        time_ratio,
        runner::format_kib(ours.median_peak_kib),
        runner::format_kib(theirs.median_peak_kib),
        mem_ratio,
    );
}

/// What one run moved per second, from the median times: NAR MiB/s and
/// store paths/s of each side.
fn print_rates(volume: Volume, ours: &Summary, theirs: &Summary) {
    let rate = |summary: &Summary| {
        let secs = summary.median_wall.as_secs_f64().max(f64::MIN_POSITIVE);
        format!(
            "{:.1} MiB/s, {:.0} paths/s",
            volume.bytes as f64 / (1024.0 * 1024.0) / secs,
            volume.paths as f64 / secs
        )
    };
    println!(
        "{:<16} {} paths, {:.1} MiB of NAR per run; cairn {}; nix {}",
        "",
        volume.paths,
        volume.bytes as f64 / (1024.0 * 1024.0),
        rate(ours),
        rate(theirs),
    );
}

fn build_release_cairn() -> anyhow::Result<PathBuf> {
    let root = crate::workspace_root();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(&root)
        .args([
            "build",
            "--quiet",
            "--release",
            "--package",
            "cairn-cli",
            "--bin",
            "cairn",
        ])
        .status()
        .context("running cargo build")?;
    if !status.success() {
        bail!("building the release cairn failed ({status})");
    }
    let target_dir =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    Ok(target_dir.join("release").join("cairn"))
}

fn version_of(command: &mut Command) -> String {
    match command.output() {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        Ok(out) => format!("(failed: {})", out.status),
        Err(e) => format!("(not runnable: {e})"),
    }
}

/// Replaces `{dir}` in a workload's argument with the workload's directory,
/// and each name of `vars` with its value.
fn expand(argument: &str, dir: &Path, vars: &[(&str, String)]) -> String {
    vars.iter().fold(
        argument.replace("{dir}", &dir.to_string_lossy()),
        |text, (name, value)| text.replace(name, value),
    )
}
