//! Dumping a file tree from disk as a NAR (`nix-store --dump`).

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use thiserror::Error;

use super::encode::Encoder;
use super::pipe::{PipeError, read_exact_chunks};
use super::{BUF_SIZE, MAGIC};

/// Why a file tree could not be dumped.
#[derive(Debug, Error)]
pub enum DumpError {
    /// Reading a file, directory or link failed.
    #[error("cannot read '{}'", path.display())]
    Read {
        /// The path being read.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The file is not a regular file, directory or symlink.
    #[error("'{}' has an unsupported file type (only regular files, directories and symlinks can be archived)", path.display())]
    UnsupportedType {
        /// The path.
        path: PathBuf,
    },
    /// A regular file got shorter while it was being read.
    #[error("'{}' changed size while being archived (expected {expected} bytes)", path.display())]
    FileChanged {
        /// The path.
        path: PathBuf,
        /// The size it had when it was stat'ed.
        expected: u64,
    },
    /// Writing the archive failed.
    #[error("cannot write the NAR")]
    Write(#[source] io::Error),
    /// Writing the copy (see [`dump_path_and_copy`]) failed.
    #[error("cannot write the copy '{}'", path.display())]
    Copy {
        /// The path in the copy.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
}

/// Writes the NAR serialisation of `path` (not following a symlink at `path`
/// itself) to `out`, byte-identical to `nix-store --dump`. Returns the NAR size.
///
/// File contents are streamed through a buffer of up to 1 MiB. Small tokens are
/// buffered internally, so `out` need not be buffered.
pub fn dump_path<W: Write>(path: &Path, out: W) -> Result<u64, DumpError> {
    dump(path, out, None, &mut |_| true)
}

/// Decides, for each entry below the dumped root, whether it goes into the
/// archive (`builtins.path`'s `filter`). It sees the entry's path on disk;
/// a directory it refuses is skipped whole, without being read.
pub type PathFilter<'a> = &'a mut dyn FnMut(&Path) -> bool;

/// Like [`dump_path`], leaving out the entries `filter` refuses (never the
/// root itself).
pub fn dump_path_filtered<W: Write>(
    path: &Path,
    out: W,
    filter: PathFilter<'_>,
) -> Result<u64, DumpError> {
    dump(path, out, None, filter)
}

/// Like [`dump_path_filtered`], and recreates the tree at `copy` on the way: each
/// file is read once, and the same bytes go into the NAR and into the copy,
/// so what the NAR describes is exactly what was copied. Each file copied
/// starts being written back to disk at once. The copy must not exist
/// yet. It is made with a store's canonical metadata, so that no second
/// pass over it is needed: files 0444 (0555 when executable), directories
/// 0555, every mtime 1. A failed copy may leave read-only directories:
/// remove it with the store's `remove_tree`.
pub fn dump_path_and_copy<W: Write>(
    path: &Path,
    out: W,
    copy: &Path,
    filter: PathFilter<'_>,
) -> Result<u64, DumpError> {
    dump(path, out, Some(&mut copy.to_path_buf()), filter)
}

fn dump<W: Write>(
    path: &Path,
    out: W,
    copy: Option<&mut PathBuf>,
    filter: PathFilter<'_>,
) -> Result<u64, DumpError> {
    let mut enc = Encoder::new(out);
    enc.str(MAGIC).map_err(DumpError::Write)?;
    // Grown to the largest file met, up to BUF_SIZE: serving or hashing a
    // small path should not cost a megabyte of zeroed memory.
    let mut buf = Vec::new();
    let mut path_buf = path.to_path_buf();
    dump_node(&mut path_buf, copy, &mut enc, &mut buf, filter)?;
    enc.finish().map_err(DumpError::Write)
}

fn copy_err(path: &Path) -> impl FnOnce(io::Error) -> DumpError + '_ {
    move |source| DumpError::Copy {
        path: path.to_path_buf(),
        source,
    }
}

fn read_err(path: &Path) -> impl FnOnce(io::Error) -> DumpError + '_ {
    move |source| DumpError::Read {
        path: path.to_path_buf(),
        source,
    }
}

fn dump_node<W: Write>(
    path: &mut PathBuf,
    mut copy: Option<&mut PathBuf>,
    enc: &mut Encoder<W>,
    buf: &mut Vec<u8>,
    filter: PathFilter<'_>,
) -> Result<(), DumpError> {
    let meta = fs::symlink_metadata(&*path).map_err(read_err(path))?;
    let ft = meta.file_type();
    if ft.is_file() {
        let executable = meta.permissions().mode() & 0o100 != 0;
        let len = meta.len();
        let mut file = File::open(&*path).map_err(read_err(path))?;
        let mut copied = match &copy {
            // The mode applies to later opens: this descriptor can write.
            Some(target) => Some(
                fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(if executable { 0o555 } else { 0o444 })
                    .open(&**target)
                    .map_err(copy_err(target))?,
            ),
            None => None,
        };
        enc.regular_header(executable, len)
            .map_err(DumpError::Write)?;
        let wanted = usize::try_from(len).map_or(BUF_SIZE, |n| n.clamp(1, BUF_SIZE));
        if buf.len() < wanted {
            buf.resize(wanted, 0);
        }
        read_exact_chunks(&mut file, len, buf, |chunk| {
            if let Some(out) = &mut copied {
                out.write_all(chunk).map_err(ChunkError::Copy)?;
            }
            enc.contents_chunk(chunk).map_err(ChunkError::Nar)
        })
        .map_err(|e| match e {
            PipeError::Read(e) => read_err(path)(e),
            PipeError::Short => DumpError::FileChanged {
                path: path.clone(),
                expected: len,
            },
            PipeError::Consumer(ChunkError::Nar(e)) => DumpError::Write(e),
            PipeError::Consumer(ChunkError::Copy(e)) => match &copy {
                Some(target) => copy_err(target)(e),
                None => DumpError::Write(e),
            },
        })?;
        if let (Some(copied), Some(target)) = (&copied, &copy) {
            // After the last write, which would move the mtime again.
            copied
                .set_times(canonical_times())
                .map_err(copy_err(target))?;
            start_writeback(copied);
        }
        enc.regular_footer(len).map_err(DumpError::Write)
    } else if ft.is_symlink() {
        let target = fs::read_link(&*path).map_err(read_err(path))?;
        if let Some(copy) = &copy {
            std::os::unix::fs::symlink(&target, &**copy)
                .and_then(|()| set_canonical_mtime(copy))
                .map_err(copy_err(copy))?;
        }
        enc.symlink(target.as_os_str().as_bytes())
            .map_err(DumpError::Write)
    } else if ft.is_dir() {
        let mut names: Vec<OsString> = fs::read_dir(&*path)
            .map_err(read_err(path))?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<Result<_, _>>()
            .map_err(read_err(path))?;
        names.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        if let Some(copy) = &copy {
            fs::DirBuilder::new()
                .mode(0o755)
                .create(&**copy)
                .map_err(copy_err(copy))?;
        }
        enc.directory_start().map_err(DumpError::Write)?;
        for name in names {
            path.push(&name);
            if !filter(path) {
                path.pop();
                continue;
            }
            enc.entry_start(name.as_bytes()).map_err(DumpError::Write)?;
            if let Some(copy) = copy.as_deref_mut() {
                copy.push(&name);
            }
            let r = dump_node(path, copy.as_deref_mut(), enc, buf, &mut *filter);
            path.pop();
            if let Some(copy) = copy.as_deref_mut() {
                copy.pop();
            }
            r?;
            enc.entry_end().map_err(DumpError::Write)?;
        }
        if let Some(copy) = &copy {
            // Once every entry is in: adding one moves the mtime.
            fs::set_permissions(&**copy, fs::Permissions::from_mode(0o555))
                .and_then(|()| set_canonical_mtime(copy))
                .map_err(copy_err(copy))?;
        }
        enc.directory_end().map_err(DumpError::Write)
    } else {
        Err(DumpError::UnsupportedType { path: path.clone() })
    }
}

/// A store's canonical access and modification time: one second after
/// the epoch (zero would mean "unknown" to some tools).
fn canonical_times() -> fs::FileTimes {
    let one = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1);
    fs::FileTimes::new().set_accessed(one).set_modified(one)
}

/// Sets the access and modification times of `path` to the canonical
/// one, without following it if it is a symlink.
pub fn set_canonical_mtime(path: &Path) -> io::Result<()> {
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    let one = libc::timespec {
        tv_sec: 1,
        tv_nsec: 0,
    };
    let times = [one, one];
    // SAFETY: `c_path` is a NUL-terminated string and `times` an array of two
    // timespecs, both alive for the duration of the call.
    let rc = unsafe {
        libc::utimensat(
            libc::AT_FDCWD,
            c_path.as_ptr(),
            times.as_ptr(),
            libc::AT_SYMLINK_NOFOLLOW,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Asks the kernel to start writing a copied file's data to disk, without
/// waiting: a store flushes the whole copy before registering it, and that
/// flush then has little left to wait for. Failure changes nothing.
fn start_writeback(file: &File) {
    use std::os::fd::AsRawFd;
    // SAFETY: `file` is an open descriptor for the duration of the call,
    // which reads no memory of ours.
    let _ = unsafe { libc::sync_file_range(file.as_raw_fd(), 0, 0, libc::SYNC_FILE_RANGE_WRITE) };
}

/// Which of the two writes of a file's chunk failed.
enum ChunkError {
    Nar(io::Error),
    Copy(io::Error),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nar::NarNode;
    use std::collections::BTreeMap;
    use std::os::unix::fs::symlink;

    #[test]
    fn dump_matches_in_memory_writer() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        fs::create_dir(&root).unwrap();
        fs::write(root.join("b"), b"hello").unwrap();
        fs::write(root.join("exe"), b"#!/bin/sh\n").unwrap();
        fs::set_permissions(root.join("exe"), fs::Permissions::from_mode(0o755)).unwrap();
        fs::create_dir(root.join("a")).unwrap();
        symlink("../b", root.join("a").join("l")).unwrap();

        let mut on_disk = Vec::new();
        let size = dump_path(&root, &mut on_disk).unwrap();
        assert_eq!(size as usize, on_disk.len());

        let tree = NarNode::Directory(BTreeMap::from([
            (
                b"a".to_vec(),
                NarNode::Directory(BTreeMap::from([(
                    b"l".to_vec(),
                    NarNode::Symlink {
                        target: b"../b".to_vec(),
                    },
                )])),
            ),
            (
                b"b".to_vec(),
                NarNode::Regular {
                    executable: false,
                    contents: b"hello".to_vec(),
                },
            ),
            (
                b"exe".to_vec(),
                NarNode::Regular {
                    executable: true,
                    contents: b"#!/bin/sh\n".to_vec(),
                },
            ),
        ]));
        let mut in_memory = Vec::new();
        tree.write_nar(&mut in_memory).unwrap();
        assert_eq!(on_disk, in_memory);
    }

    #[test]
    fn unsupported_and_missing() {
        let dir = tempfile::tempdir().unwrap();
        let err = dump_path(&dir.path().join("missing"), io::sink()).unwrap_err();
        assert!(matches!(err, DumpError::Read { .. }), "{err}");
        let err = dump_path(Path::new("/dev/null"), io::sink()).unwrap_err();
        assert!(matches!(err, DumpError::UnsupportedType { .. }), "{err}");
    }
}
