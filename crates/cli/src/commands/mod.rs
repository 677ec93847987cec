//! One module per subcommand group.

mod build;
mod cache;
mod completions;
mod copy;
mod derivation;
mod eval;
mod instantiate;
mod log;
mod profile;
mod realise_expr;
mod store;
mod system;

use crate::{Failure, GlobalOptions};

/// The subcommands of `cairn`.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Build derivations and print their output paths (as `nix-build` on `.drv` files).
    Build(build::Args),
    /// Binary caches: make signing keys, serve the store over HTTP.
    Cache(cache::Args),
    /// Copy closures to or from a binary cache (`file://`, `http(s)://`).
    Copy(copy::Args),
    /// Print a shell completion script.
    Completions(completions::Args),
    /// Evaluate a Nix expression and print its value (as `nix-instantiate --eval`).
    Eval(eval::Args),
    /// Work with store derivations (`show`).
    Derivation(derivation::Args),
    /// Write the derivations of an expression to the store (as `nix-instantiate`).
    Instantiate(instantiate::Args),
    /// Print the build log of a derivation or of a path it built.
    Log(log::Args),
    /// Manage a profile: install and remove packages; set, roll back, switch, list, delete generations.
    Profile(profile::Args),
    /// Work with the store and NAR archives: add, dump, restore, hash, query, verify, delete.
    Store(store::Args),
    /// Build a whole system from NixOS-style modules (`configuration.nix`).
    System(system::Args),
}

pub(crate) fn run(global: &GlobalOptions, command: Command) -> Result<(), Failure> {
    match command {
        Command::Build(args) => build::run(global, args),
        Command::Cache(args) => cache::run(global, args),
        Command::Copy(args) => copy::run(global, args),
        Command::Completions(args) => completions::run(args),
        Command::Eval(args) => eval::run(global, args),
        Command::Derivation(args) => derivation::run(global, args),
        Command::Instantiate(args) => instantiate::run(global, args),
        Command::Log(args) => log::run(global, args),
        Command::Profile(args) => profile::run(global, args),
        Command::Store(args) => store::run(global, args),
        Command::System(args) => system::run(global, args),
    }
}
