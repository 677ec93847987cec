//! Hashing a path the way `nix-hash` does, in one streaming pass.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

use super::{DumpError, PathFilter, dump_path_filtered};
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
    hash_path_filtered(path, algo, mode, &mut |_| true)
}

/// Like [`hash_path`], leaving out of a recursive hash the entries `filter`
/// refuses (see [`PathFilter`]).
pub fn hash_path_filtered(
    path: &Path,
    algo: HashAlgo,
    mode: HashMode,
    filter: PathFilter<'_>,
) -> Result<(Hash, u64), DumpError> {
    match mode {
        HashMode::Recursive => {
            // Reading the tree and hashing its NAR overlap on two threads.
            let (_, hash, size) = crate::hash::hash_in_background(algo, |stream| {
                dump_path_filtered(path, stream, filter)
            })?;
            Ok((hash, size))
        }
        HashMode::Flat => {
            let read_err = |source| DumpError::Read {
                path: path.to_path_buf(),
                source,
            };
            let mut sink = CountingHasher {
                hasher: Hasher::new(algo),
                count: 0,
            };
            // Read to the end rather than to the size `stat` gives, which is
            // 0 for pipes and devices such as /dev/stdin.
            let mut file = File::open(path).map_err(read_err)?;
            io::copy(&mut file, &mut sink).map_err(read_err)?;
            Ok((sink.hasher.finalize(), sink.count))
        }
    }
}

/// The hash and size of the NAR of a single regular file holding
/// `contents`, without building the archive: what a store path made from
/// bytes in memory (a `.drv`, `builtins.toFile`) records as its NAR hash.
pub fn hash_regular_file(contents: &[u8], executable: bool, algo: HashAlgo) -> (Hash, u64) {
    let mut sink = CountingHasher {
        hasher: Hasher::new(algo),
        count: 0,
    };
    let encode = |sink: &mut CountingHasher| {
        let mut encoder = super::encode::Encoder::new(sink);
        let len = contents.len() as u64;
        encoder.str(super::MAGIC)?;
        encoder.regular_header(executable, len)?;
        encoder.contents_chunk(contents)?;
        encoder.regular_footer(len)?;
        encoder.finish()
    };
    // Writing into a hasher cannot fail.
    let encoded = encode(&mut sink);
    debug_assert!(encoded.is_ok(), "hashing a NAR in memory failed");
    (sink.hasher.finalize(), sink.count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nar::{NarNode, dump_path};

    #[test]
    fn a_regular_file_hashes_as_its_nar() {
        for executable in [false, true] {
            for contents in [&b""[..], b"abc", b"exactly8", &[7u8; 1000]] {
                let node = NarNode::Regular {
                    executable,
                    contents: contents.to_vec(),
                };
                let mut nar = Vec::new();
                let size = node.write_nar(&mut nar).unwrap();
                assert_eq!(
                    hash_regular_file(contents, executable, HashAlgo::Sha256),
                    (Hash::of(HashAlgo::Sha256, &nar), size)
                );
            }
        }
    }

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

#[cfg(test)]
mod filter_and_pipe_tests {
    use super::*;

    #[test]
    fn filtered_hash_leaves_out_refused_entries() {
        let dir = tempfile::tempdir().unwrap();
        let full = dir.path().join("full");
        let kept = dir.path().join("kept");
        for root in [&full, &kept] {
            std::fs::create_dir_all(root.join("sub")).unwrap();
            std::fs::write(root.join("a"), b"a").unwrap();
            std::fs::write(root.join("sub/b"), b"b").unwrap();
        }
        std::fs::write(full.join("skip-me"), b"x").unwrap();
        std::fs::create_dir(full.join("skip-dir")).unwrap();
        std::fs::write(full.join("skip-dir/c"), b"c").unwrap();
        let mut asked = Vec::new();
        let (filtered, _) =
            hash_path_filtered(&full, HashAlgo::Sha256, HashMode::Recursive, &mut |p| {
                asked.push(p.strip_prefix(&full).unwrap().to_path_buf());
                !p.file_name().unwrap().to_string_lossy().starts_with("skip")
            })
            .unwrap();
        let (expected, _) = hash_path(&kept, HashAlgo::Sha256, HashMode::Recursive).unwrap();
        assert_eq!(filtered, expected);
        // A refused directory is not entered; the root is never asked about.
        let asked: Vec<_> = asked
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        assert_eq!(asked, ["a", "skip-dir", "skip-me", "sub", "sub/b"]);
    }

    #[test]
    fn flat_hash_reads_a_pipe_to_the_end() {
        let (reader, mut writer) = io::pipe().unwrap();
        let feeder = std::thread::spawn(move || {
            use std::io::Write;
            writer.write_all(b"through a pipe").unwrap();
        });
        use std::os::fd::AsRawFd;
        let path = format!("/proc/self/fd/{}", reader.as_raw_fd());
        let (hash, len) = hash_path(Path::new(&path), HashAlgo::Sha256, HashMode::Flat).unwrap();
        feeder.join().unwrap();
        drop(reader);
        assert_eq!(len, 14);
        assert_eq!(hash, Hash::of(HashAlgo::Sha256, b"through a pipe"));
    }
}
