//! The named workloads: one entry per comparison. Later work adds its own
//! (store, evaluator, derivations, builds, caches, GC) here.

use std::path::Path;

/// One side-by-side comparison.
pub struct Workload {
    /// The name given on the command line.
    pub name: &'static str,
    /// One line on what is measured.
    pub about: &'static str,
    /// Prepares the inputs in the workload's directory, once, untimed.
    pub setup: fn(&Path) -> anyhow::Result<()>,
    /// Runs before every timed or warm-up run of either side, untimed
    /// (for example to empty a store that the previous run filled).
    pub reset: fn(&Path) -> anyhow::Result<()>,
    /// cairn's arguments; `{dir}` stands for the workload's directory.
    pub cairn: &'static [&'static str],
    /// Nix's program and arguments; `{dir}` as above.
    pub nix: &'static [&'static str],
}

fn nothing(_: &Path) -> anyhow::Result<()> {
    Ok(())
}

/// Every workload, in the order they run.
pub fn all() -> Vec<Workload> {
    vec![Workload {
        name: "startup",
        about: "start, print the version, exit: `cairn --version` vs `nix-instantiate --version`",
        setup: nothing,
        reset: nothing,
        cairn: &["--version"],
        nix: &["nix-instantiate", "--version"],
    }]
}
