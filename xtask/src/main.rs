//! Repository chores for cairn, run as `cargo xtask <task>`.
//!
//! - `cargo xtask man [--out DIR]`: render the manual pages of `cairn`.
//! - `cargo xtask bench-vs-nix [WORKLOAD…]`: time cairn and Nix side by side
//!   and print cairn/Nix ratios of median wall time and peak memory.

mod bench;
mod man;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

/// Repository chores for cairn.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask")]
enum Task {
    /// Render `cairn`'s manual pages (one per subcommand) into a directory.
    Man {
        /// Where to write the pages.
        #[arg(long, default_value = "target/man")]
        out: PathBuf,
    },
    /// Run named workloads with cairn and with Nix, alternating, and print
    /// the cairn/Nix ratio of median wall time and of peak memory.
    BenchVsNix(bench::Options),
}

fn main() -> ExitCode {
    let result = match Task::parse() {
        Task::Man { out } => man::render(&out),
        Task::BenchVsNix(options) => bench::run(&options),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// The repository's top directory (xtask always runs from inside it).
fn workspace_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(PathBuf::from)
        .unwrap_or(manifest_dir)
}
