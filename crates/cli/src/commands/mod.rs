//! One module per subcommand group.

mod completions;
mod eval;
mod instantiate;
mod profile;
mod store;

use crate::{Failure, GlobalOptions};

/// The subcommands of `cairn`.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Print a shell completion script.
    Completions(completions::Args),
    /// Evaluate a Nix expression and print its value (as `nix-instantiate --eval`).
    Eval(eval::Args),
    /// Write the derivations of an expression to the store (as `nix-instantiate`).
    Instantiate(instantiate::Args),
    /// Manage a profile's generations: set, roll back, switch, list, delete.
    Profile(profile::Args),
    /// Work with the store and NAR archives: add, dump, restore, hash, query, verify, delete.
    Store(store::Args),
}

pub(crate) fn run(global: &GlobalOptions, command: Command) -> Result<(), Failure> {
    match command {
        Command::Completions(args) => completions::run(args),
        Command::Eval(args) => eval::run(global, args),
        Command::Instantiate(args) => instantiate::run(global, args),
        Command::Profile(args) => profile::run(global, args),
        Command::Store(args) => store::run(global, args),
    }
}
