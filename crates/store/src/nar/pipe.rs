//! Reading a large file on a helper thread while the caller consumes it.
//!
//! Hashing a file is bound by two costs: copying the data from the page cache
//! (`read`) and the hash itself. Doing the reads on a second thread overlaps
//! the two, so `hash_path` runs at the speed of the hash alone. Small files
//! are read inline: a thread costs more than it saves below [`PIPE_THRESHOLD`].

use std::fs::File;
use std::io::{self, Read};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use super::BUF_SIZE;

/// Files at least this large are read on a helper thread.
pub(crate) const PIPE_THRESHOLD: u64 = 8 * BUF_SIZE as u64;

/// Number of buffers in flight between the reader thread and the consumer.
const BUFFERS: usize = 4;

/// Why a pipelined read stopped.
pub(crate) enum PipeError<E> {
    /// Reading failed.
    Read(io::Error),
    /// The file ended before `len` bytes (it shrank while being read).
    Short,
    /// The consumer failed.
    Consumer(E),
}

/// Reads exactly `len` bytes of `file` and passes them to `consume` in order,
/// in chunks of at most [`BUF_SIZE`] bytes. `buf` is used when reading inline.
pub(crate) fn read_exact_chunks<E>(
    file: &mut File,
    len: u64,
    buf: &mut [u8],
    mut consume: impl FnMut(&[u8]) -> Result<(), E>,
) -> Result<(), PipeError<E>> {
    if len < PIPE_THRESHOLD {
        let mut left = len;
        while left > 0 {
            let want = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
            let n = read_some(file, &mut buf[..want])?;
            consume(&buf[..n]).map_err(PipeError::Consumer)?;
            left -= n as u64;
        }
        return Ok(());
    }
    let (full_tx, full_rx) = sync_channel::<io::Result<(Vec<u8>, usize)>>(BUFFERS);
    let (empty_tx, empty_rx) = sync_channel::<Vec<u8>>(BUFFERS);
    for _ in 0..BUFFERS {
        // Cannot fail: the channel has room for every buffer and the receiver lives.
        let _ = empty_tx.send(vec![0u8; BUF_SIZE]);
    }
    std::thread::scope(|scope| {
        scope.spawn(|| reader_thread(file, len, empty_rx, full_tx));
        // `consume_chunks` owns the consumer's channel ends and drops them when
        // it returns, early or not, which stops the reader thread; only then
        // does the scope join it.
        consume_chunks(len, full_rx, empty_tx, consume)
    })
}

fn consume_chunks<E>(
    len: u64,
    full: Receiver<io::Result<(Vec<u8>, usize)>>,
    empty: SyncSender<Vec<u8>>,
    mut consume: impl FnMut(&[u8]) -> Result<(), E>,
) -> Result<(), PipeError<E>> {
    let mut left = len;
    while left > 0 {
        let (chunk, n) = match full.recv() {
            Ok(Ok(x)) => x,
            Ok(Err(e)) => return Err(PipeError::Read(e)),
            Err(_) => return Err(PipeError::Short),
        };
        if n == 0 {
            return Err(PipeError::Short);
        }
        consume(&chunk[..n]).map_err(PipeError::Consumer)?;
        left -= n as u64;
        // The reader may already have finished; then the buffer is just dropped.
        let _ = empty.send(chunk);
    }
    Ok(())
}

fn reader_thread(
    file: &mut File,
    len: u64,
    empty: Receiver<Vec<u8>>,
    full: SyncSender<io::Result<(Vec<u8>, usize)>>,
) {
    let mut left = len;
    while left > 0 {
        let Ok(mut chunk) = empty.recv() else { return };
        let want = usize::try_from(left).unwrap_or(usize::MAX).min(chunk.len());
        let result = match read_some::<()>(file, &mut chunk[..want]) {
            Ok(n) => Ok(n),
            Err(PipeError::Read(e)) => Err(e),
            Err(_) => Ok(0),
        };
        let stop = !matches!(result, Ok(n) if n > 0);
        if let Ok(n) = result {
            left -= n as u64;
        }
        if full.send(result.map(|n| (chunk, n))).is_err() || stop {
            return;
        }
    }
}

/// One `read`, retrying on `EINTR`; a zero-length read of a non-empty buffer
/// means the file shrank.
fn read_some<E>(file: &mut File, buf: &mut [u8]) -> Result<usize, PipeError<E>> {
    loop {
        match file.read(buf) {
            Ok(0) if !buf.is_empty() => return Err(PipeError::Short),
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(PipeError::Read(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(file: &mut File, len: u64) -> Result<Vec<u8>, PipeError<()>> {
        let mut out = Vec::new();
        let mut buf = vec![0u8; BUF_SIZE];
        read_exact_chunks(file, len, &mut buf, |c| {
            out.extend_from_slice(c);
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn pipelined_and_inline_reads_agree() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let data: Vec<u8> = (0..PIPE_THRESHOLD as usize + 12345)
            .map(|i| (i * 31 % 251) as u8)
            .collect();
        std::fs::write(&path, &data).unwrap();
        let got = collect(&mut File::open(&path).unwrap(), data.len() as u64);
        assert!(got.is_ok_and(|g| g == data));
        let small = 1000u64;
        let got = collect(&mut File::open(&path).unwrap(), small);
        assert!(got.is_ok_and(|g| g == data[..small as usize]));
    }

    #[test]
    fn short_files_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, vec![1u8; 100]).unwrap();
        for claimed in [101, PIPE_THRESHOLD + 1] {
            let got = collect(&mut File::open(&path).unwrap(), claimed);
            assert!(matches!(got, Err(PipeError::Short)), "{claimed}");
        }
    }

    #[test]
    fn consumer_errors_stop_the_reader() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, vec![1u8; PIPE_THRESHOLD as usize * 2]).unwrap();
        let mut buf = vec![0u8; BUF_SIZE];
        let mut calls = 0;
        let r = read_exact_chunks(
            &mut File::open(&path).unwrap(),
            PIPE_THRESHOLD * 2,
            &mut buf,
            |_| {
                calls += 1;
                if calls == 3 { Err("stop") } else { Ok(()) }
            },
        );
        assert!(matches!(r, Err(PipeError::Consumer("stop"))));
        assert_eq!(calls, 3);
    }
}
