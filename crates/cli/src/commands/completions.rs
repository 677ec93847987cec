//! `cairn completions SHELL`.

use clap::CommandFactory;
use clap_complete::Shell;

use crate::{Cli, Failure};

/// Print a completion script for SHELL on stdout.
///
/// For example: `cairn completions bash > /etc/bash_completion.d/cairn`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell to complete in.
    #[arg(value_enum)]
    shell: CompletionShell,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum CompletionShell {
    Bash,
    Zsh,
    Fish,
}

pub(crate) fn run(args: Args) -> Result<(), Failure> {
    let shell = match args.shell {
        CompletionShell::Bash => Shell::Bash,
        CompletionShell::Zsh => Shell::Zsh,
        CompletionShell::Fish => Shell::Fish,
    };
    // Rendered into memory first: clap_complete panics on a failed write.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "cairn", &mut script);
    crate::output::write_stdout(&script)
}
