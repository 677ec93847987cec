//! The `cairn` binary: parses the command line, runs it, and reports the
//! outcome once, with Nix's exit codes.

use std::io::Write;
use std::process::ExitCode;

use cairn_cli::{Cli, Exit};
use clap::Parser;

// Evaluation allocates and frees many small objects (thunks, environments,
// attribute sets); mimalloc serves them markedly faster than glibc's malloc.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // `--help` and `--version` are not errors; usage mistakes exit 1 as in Nix.
            let exit = if error.use_stderr() {
                Exit::Failure
            } else {
                Exit::Success
            };
            let _ = error.print();
            return ExitCode::from(exit.code());
        }
    };
    match cairn_cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            match &failure.error {
                // The reader went away (`cairn … | head`): nothing left to say.
                Some(error) if cairn_cli::is_broken_pipe(error) => {}
                Some(error) => {
                    let mut stderr = std::io::stderr().lock();
                    let _ = writeln!(stderr, "error: {error}");
                    for cause in error.chain().skip(1) {
                        let _ = writeln!(stderr, "  caused by: {cause}");
                    }
                }
                None => {}
            }
            ExitCode::from(failure.exit.code())
        }
    }
}
