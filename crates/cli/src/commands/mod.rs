//! One module per subcommand group.

mod completions;

use crate::{Failure, GlobalOptions};

/// The subcommands of `cairn`.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Print a shell completion script.
    Completions(completions::Args),
}

pub(crate) fn run(_global: &GlobalOptions, command: Command) -> Result<(), Failure> {
    match command {
        Command::Completions(args) => completions::run(args),
    }
}
