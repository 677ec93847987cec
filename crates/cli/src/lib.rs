#![doc = include_str!("../README.md")]

mod commands;
mod global;
mod ifd;
mod output;

pub use commands::Command;
pub use global::GlobalOptions;

use clap::Parser;

/// `cairn`: a Nix-compatible, declarative system toolchain.
#[derive(Debug, Parser)]
#[command(name = "cairn", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// Options every subcommand understands.
    #[command(flatten)]
    pub global: GlobalOptions,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// How a run of `cairn` ended, as a process exit code (the same codes as Nix).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Everything worked: 0.
    Success,
    /// A usage, evaluation or other error: 1.
    Failure,
    /// A build failed: 100.
    BuildFailure,
}

impl Exit {
    /// The numeric exit code.
    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Failure => 1,
            Exit::BuildFailure => 100,
        }
    }
}

/// An error that ends the run, with the exit code it maps to.
#[derive(Debug)]
pub struct Failure {
    /// The exit code to leave with.
    pub exit: Exit,
    /// The error with its chain of causes, printed once by `main`; `None`
    /// when the command has reported it already (as evaluation errors are,
    /// with their source excerpt).
    pub error: Option<anyhow::Error>,
}

impl Failure {
    /// A failure the command has already reported to the user.
    pub fn reported(exit: Exit) -> Failure {
        Failure { exit, error: None }
    }
}

impl<E: Into<anyhow::Error>> From<E> for Failure {
    fn from(error: E) -> Self {
        Failure {
            exit: Exit::Failure,
            error: Some(error.into()),
        }
    }
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<(), Failure> {
    commands::run(&cli.global, cli.command)
}

/// True when `error` comes from writing to a pipe whose reader has gone.
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
