//! Writing results to stdout.

use std::io::Write;

use crate::Failure;

/// Writes `bytes` to stdout and flushes, turning IO errors (such as a closed
/// pipe) into a [`Failure`] instead of a panic.
pub(crate) fn write_stdout(bytes: &[u8]) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(bytes)?;
    stdout.flush()?;
    Ok(())
}
