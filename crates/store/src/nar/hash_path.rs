//! Hashing a path the way `nix-hash` does, in one streaming pass.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

use super::pipe::{PipeError, read_exact_chunks};
use super::{BUF_SIZE, DumpError, dump_path};
use crate::hash::{Hash, HashAlgo, Hasher};

/// What to hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashMode {
    /// The file's contents (`nix-hash --flat`); follows symlinks.
    Flat,
    /// The NAR serialisation of the tree (`nix-hash` default).
    Recursive,
}

/// A [`Hasher`] that also counts bytes.
struct CountingHasher {
    hasher: Hasher,
    count: u64,
}

impl Write for CountingHasher {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.hasher.update(buf);
        self.count += buf.len() as u64;
        Ok(buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.hasher.update(buf);
        self.count += buf.len() as u64;
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Hashes `path` and returns the hash and the number of bytes hashed (the NAR
/// size in [`HashMode::Recursive`], the file size in [`HashMode::Flat`]).
///
/// Print the result with [`Hash::to_base16`] (nix-hash's default),
/// [`Hash::to_nix_base32`] (`--base32`) or [`Hash::to_sri`] (`--sri`).
pub fn hash_path(path: &Path, algo: HashAlgo, mode: HashMode) -> Result<(Hash, u64), DumpError> {
    let mut sink = CountingHasher {
        hasher: Hasher::new(algo),
        count: 0,
    };
    match mode {
        HashMode::Recursive => {
            // Reading the tree and hashing its NAR overlap on two threads.
            let (_, hash, size) =
                crate::hash::hash_in_background(algo, |stream| dump_path(path, stream))?;
            return Ok((hash, size));
        }
        HashMode::Flat => {
            let read_err = |source| DumpError::Read {
                path: path.to_path_buf(),
                source,
            };
            let mut file = File::open(path).map_err(read_err)?;
            let len = file.metadata().map_err(read_err)?.len();
            let mut buf = vec![0u8; BUF_SIZE];
            let hasher = &mut sink.hasher;
            read_exact_chunks(&mut file, len, &mut buf, |chunk| {
                hasher.update(chunk);
                Ok::<(), std::convert::Infallible>(())
            })
            .map_err(|e| match e {
                PipeError::Read(e) => read_err(e),
                PipeError::Short | PipeError::Consumer(_) => DumpError::FileChanged {
                    path: path.to_path_buf(),
                    expected: len,
                },
            })?;
            sink.count = len;
        }
    }
    Ok((sink.hasher.finalize(), sink.count))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_and_recursive() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        std::fs::write(&f, b"abc").unwrap();
        let (h, n) = hash_path(&f, HashAlgo::Sha256, HashMode::Flat).unwrap();
        assert_eq!(n, 3);
        assert_eq!(h, Hash::of(HashAlgo::Sha256, b"abc"));
        let (h, n) = hash_path(&f, HashAlgo::Sha256, HashMode::Recursive).unwrap();
        // 13-char magic + "(" "type" "regular" "contents" + 3 bytes + ")" = 120 bytes.
        assert_eq!(n, 120);
        // `echo -n abc > f; nix-hash --type sha256 f` (Nix 2.8).
        let mut nar = Vec::new();
        dump_path(&f, &mut nar).unwrap();
        assert_eq!(h, Hash::of(HashAlgo::Sha256, &nar));
    }
}
