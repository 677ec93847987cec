//! Build logs where Nix keeps them: `ROOT/nix/var/log/nix/drvs/<first two
//! characters of the .drv's base name>/<the rest>`, bzip2-compressed with a
//! `.bz2` suffix by default (Nix's `compress-build-log`). Readers accept both
//! forms, so logs written by Nix are found too.

use std::collections::VecDeque;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use cairn_store::local::{LocalStore, LocalStoreError};
use cairn_store::path::StorePath;

/// How many of the last log lines a failure report shows.
pub const TAIL_LINES: usize = 10;

/// The log directory of a store: `ROOT/nix/var/log/nix`.
pub fn log_dir(store: &LocalStore) -> PathBuf {
    store.state_dir().parent().map_or_else(
        || store.state_dir().join("../log/nix"),
        |var| var.join("log/nix"),
    )
}

/// Where the log of `drv` is kept (without the `.bz2` suffix).
pub fn log_path(log_dir: &Path, drv: &StorePath) -> PathBuf {
    let base = drv.to_string();
    let (first, rest) = base.split_at(2);
    log_dir.join("drvs").join(first).join(rest)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Why a stored log could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// Reading or decompressing the file failed.
    #[error("reading the build log {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: io::Error,
    },
    /// Looking up the path's deriver failed.
    #[error(transparent)]
    Store(#[from] LocalStoreError),
}

/// The stored log of `drv`, decompressed, or `None` when there is none.
pub fn read_log(log_dir: &Path, drv: &StorePath) -> Result<Option<Vec<u8>>, LogError> {
    let plain = log_path(log_dir, drv);
    let compressed = with_suffix(&plain, ".bz2");
    let read_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| LogError::Read { path, source }
    };
    match fs::File::open(&compressed) {
        Ok(file) => {
            let mut out = Vec::new();
            bzip2::read::MultiBzDecoder::new(file)
                .read_to_end(&mut out)
                .map_err(read_err(&compressed))?;
            return Ok(Some(out));
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(read_err(&compressed)(e)),
    }
    match fs::read(&plain) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(read_err(&plain)(e)),
    }
}

/// The log of whatever built `path`: `path` itself when it is a `.drv`,
/// otherwise its deriver (as recorded in the store). `None` when there is
/// no log.
pub fn find_log(store: &LocalStore, path: &StorePath) -> Result<Option<Vec<u8>>, LogError> {
    let dir = log_dir(store);
    if path.name().as_str().ends_with(".drv") {
        return read_log(&dir, path);
    }
    let Some(info) = store.path_info(path)? else {
        return Ok(None);
    };
    match info.deriver {
        Some(deriver) => read_log(&dir, &deriver),
        None => Ok(None),
    }
}

/// A bzip2 stream of nothing, as the encoder at its default level (6)
/// writes it: header, end-of-stream marker, CRC 0.
const EMPTY_BZ2: &[u8] = b"BZh6\x17\x72\x45\x38\x50\x90\x00\x00\x00\x00";

/// The log file.
enum LogFile {
    /// Uncompressed.
    Plain(io::BufWriter<fs::File>),
    /// To be compressed, nothing written yet: the encoder (megabytes of
    /// tables to allocate and clear) is made at the first byte, and most
    /// builders of small derivations write none.
    Bz2Pending(fs::File),
    /// Compressed.
    Bz2(Box<bzip2::write::BzEncoder<fs::File>>),
}

impl LogFile {
    /// Writes `buf`, starting the encoder if it is the first.
    fn write_all(self, buf: &[u8]) -> io::Result<LogFile> {
        let mut file = match self {
            LogFile::Bz2Pending(file) => LogFile::Bz2(Box::new(bzip2::write::BzEncoder::new(
                file,
                bzip2::Compression::default(),
            ))),
            started => started,
        };
        match &mut file {
            LogFile::Plain(out) => out.write_all(buf)?,
            LogFile::Bz2(out) => out.write_all(buf)?,
            LogFile::Bz2Pending(_) => {}
        }
        Ok(file)
    }

    fn finish(self) -> io::Result<()> {
        match self {
            LogFile::Plain(mut file) => file.flush(),
            LogFile::Bz2Pending(mut file) => file.write_all(EMPTY_BZ2),
            LogFile::Bz2(encoder) => encoder.finish().map(drop),
        }
    }
}

/// Where a running build's log goes: the log file (compressed or not), the
/// last lines for a failure report, and a live observer.
pub struct LogSink<'a> {
    file: Option<LogFile>,
    path: PathBuf,
    tail: VecDeque<Vec<u8>>,
    partial: Vec<u8>,
    live: &'a mut (dyn FnMut(&[u8]) + Send),
    error: Option<io::Error>,
}

impl<'a> LogSink<'a> {
    /// Creates the log file of `drv` under `log_dir` (replacing an old one).
    pub fn create(
        log_dir: &Path,
        drv: &StorePath,
        compress: bool,
        live: &'a mut (dyn FnMut(&[u8]) + Send),
    ) -> io::Result<LogSink<'a>> {
        let plain = log_path(log_dir, drv);
        if let Some(parent) = plain.parent() {
            fs::create_dir_all(parent)?;
        }
        let path = if compress {
            with_suffix(&plain, ".bz2")
        } else {
            plain.clone()
        };
        // The other form would be stale.
        let _ = fs::remove_file(if compress { &plain } else { &path });
        let file = fs::File::create(&path)?;
        let file = if compress {
            LogFile::Bz2Pending(file)
        } else {
            LogFile::Plain(io::BufWriter::new(file))
        };
        Ok(LogSink {
            file: Some(file),
            path,
            tail: VecDeque::with_capacity(TAIL_LINES + 1),
            partial: Vec::new(),
            live,
            error: None,
        })
    }

    /// The log file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Flushes and closes the file; returns the last lines.
    pub fn finish(mut self) -> (Vec<String>, Option<io::Error>) {
        if let Some(file) = self.file.take()
            && let Err(e) = file.finish()
        {
            self.error.get_or_insert(e);
        }
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.push_line(line);
        }
        let lines = self
            .tail
            .iter()
            .map(|l| String::from_utf8_lossy(l).into_owned())
            .collect();
        (lines, self.error)
    }

    fn push_line(&mut self, line: Vec<u8>) {
        if self.tail.len() == TAIL_LINES {
            self.tail.pop_front();
        }
        self.tail.push_back(line);
    }
}

impl Write for LogSink<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // A log that cannot be written must not kill the build: remember
        // the error and carry on with the tail and the live view.
        if let Some(file) = self.file.take() {
            match file.write_all(buf) {
                Ok(file) => self.file = Some(file),
                Err(e) => self.error = Some(e),
            }
        }
        (self.live)(buf);
        let mut rest = buf;
        while let Some(newline) = rest.iter().position(|&b| b == b'\n') {
            let mut line = std::mem::take(&mut self.partial);
            line.extend_from_slice(&rest[..newline]);
            self.push_line(line);
            rest = &rest[newline + 1..];
        }
        self.partial.extend_from_slice(rest);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn writes_where_nix_reads_and_keeps_the_tail() {
        let dir = tempfile::tempdir().unwrap();
        let drv = StorePath::from_base_name("0123456789abcdfghijklmnpqrsvwxyz-x.drv").unwrap();
        let mut seen = Vec::new();
        let mut live = |b: &[u8]| seen.extend_from_slice(b);
        for compress in [true, false] {
            let mut sink = LogSink::create(dir.path(), &drv, compress, &mut live).unwrap();
            for i in 0..15 {
                writeln!(sink, "line {i}").unwrap();
            }
            write!(sink, "last").unwrap();
            let path = sink.path().to_path_buf();
            let (tail, error) = sink.finish();
            assert!(error.is_none());
            assert_eq!(tail.len(), TAIL_LINES);
            assert_eq!(tail.last().unwrap(), "last");
            assert_eq!(tail[0], "line 6");
            let expected = dir
                .path()
                .join("drvs/01/23456789abcdfghijklmnpqrsvwxyz-x.drv");
            assert_eq!(
                path,
                if compress {
                    with_suffix(&expected, ".bz2")
                } else {
                    expected
                }
            );
            let log = read_log(dir.path(), &drv).unwrap().unwrap();
            assert!(log.starts_with(b"line 0\nline 1\n") && log.ends_with(b"last"));
        }
    }

    #[test]
    fn an_empty_log_is_a_valid_empty_bzip2_stream() {
        let dir = tempfile::tempdir().unwrap();
        let drv = StorePath::from_base_name("0123456789abcdfghijklmnpqrsvwxyz-x.drv").unwrap();
        let mut live = |_: &[u8]| {};
        let sink = LogSink::create(dir.path(), &drv, true, &mut live).unwrap();
        let path = sink.path().to_path_buf();
        assert!(sink.finish().1.is_none());
        assert_eq!(read_log(dir.path(), &drv).unwrap().unwrap(), b"");
        // Byte for byte what the encoder itself writes for no input.
        let mut encoder = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
        encoder.flush().unwrap();
        assert_eq!(fs::read(path).unwrap(), encoder.finish().unwrap());
    }
}
