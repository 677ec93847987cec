//! Unpacking a NAR into a directory (`nix-store --restore`).

use std::ffi::OsStr;
use std::fs::{self, OpenOptions};
use std::io::{self, BufWriter, Read};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt, symlink};
use std::path::{Path, PathBuf};

use thiserror::Error;

use super::reader::{EntryKind, NarError, NarReader};

/// Why a NAR could not be restored.
#[derive(Debug, Error)]
pub enum RestoreError {
    /// The archive is malformed or unreadable.
    #[error(transparent)]
    Nar(#[from] NarError),
    /// The target exists and is not an empty directory.
    #[error("cannot restore into '{}': it already exists (the target must not exist or be an empty directory)", .0.display())]
    TargetExists(PathBuf),
    /// Creating or writing a file failed.
    #[error("cannot create '{}'", path.display())]
    Create {
        /// The path being created.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
}

/// The largest buffer a restored file's writes go through.
const MAX_WRITE_BUFFER: usize = 256 * 1024;

/// Unpacks the NAR read from `reader` at `target`.
///
/// `target` must not exist, or be an empty directory (for a root that is a
/// directory it is reused; otherwise it is removed first). Every file is
/// created with `O_CREAT|O_EXCL` (mode 0666 minus umask, plus 0111 when
/// executable, like Nix's `restorePath`) and directories with mode 0777 minus
/// umask. The parser guarantees names without `/`, `.` or `..` and strictly
/// sorted entries, so nothing is created twice and no path goes through a
/// symlink: nothing is ever written outside `target`.
///
/// On error, whatever was unpacked so far is left in place for the caller to remove.
pub fn restore<R: Read>(reader: R, target: &Path) -> Result<(), RestoreError> {
    let target_was_empty_dir = match fs::symlink_metadata(target) {
        Ok(meta) if meta.is_dir() => {
            let mut entries = fs::read_dir(target).map_err(create_err(target))?;
            if entries.next().is_some() {
                return Err(RestoreError::TargetExists(target.to_path_buf()));
            }
            true
        }
        Ok(_) => return Err(RestoreError::TargetExists(target.to_path_buf())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => false,
        Err(e) => return Err(create_err(target)(e)),
    };

    let mut nar = NarReader::new(reader);
    let mut path = target.to_path_buf();
    while let Some(entry) = nar.next_entry()? {
        path.clear();
        path.push(target);
        if !entry.path.is_empty() {
            path.push(OsStr::from_bytes(&entry.path));
        } else if target_was_empty_dir && entry.kind != EntryKind::Directory {
            fs::remove_dir(&path).map_err(create_err(&path))?;
        }
        match entry.kind {
            EntryKind::Directory => {
                if !(entry.path.is_empty() && target_was_empty_dir) {
                    fs::create_dir(&path).map_err(create_err(&path))?;
                }
            }
            EntryKind::Symlink { target } => {
                symlink(OsStr::from_bytes(&target), &path).map_err(create_err(&path))?;
            }
            EntryKind::Regular { executable, size } => {
                let file = OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o666)
                    .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
                    .open(&path)
                    .map_err(create_err(&path))?;
                // No larger than the file: most store files are small.
                let capacity = usize::try_from(size)
                    .map_or(MAX_WRITE_BUFFER, |n| n.clamp(1, MAX_WRITE_BUFFER));
                let mut out = BufWriter::with_capacity(capacity, file);
                nar.read_contents(&mut out)?;
                let file = out
                    .into_inner()
                    .map_err(|e| create_err(&path)(e.into_error()))?;
                if executable {
                    let mode = file
                        .metadata()
                        .map_err(create_err(&path))?
                        .permissions()
                        .mode();
                    file.set_permissions(fs::Permissions::from_mode(mode | 0o111))
                        .map_err(create_err(&path))?;
                }
            }
        }
    }
    Ok(())
}

fn create_err(path: &Path) -> impl FnOnce(io::Error) -> RestoreError + '_ {
    move |source| RestoreError::Create {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nar::{NarNode, dump_path};
    use std::collections::BTreeMap;

    fn tree() -> NarNode {
        NarNode::Directory(BTreeMap::from([
            (
                b"bin".to_vec(),
                NarNode::Directory(BTreeMap::from([(
                    b"hello".to_vec(),
                    NarNode::Regular {
                        executable: true,
                        contents: b"#!/bin/sh\necho hi\n".to_vec(),
                    },
                )])),
            ),
            (
                b"link".to_vec(),
                NarNode::Symlink {
                    target: b"bin/hello".to_vec(),
                },
            ),
            (
                b"\xff odd".to_vec(),
                NarNode::Regular {
                    executable: false,
                    contents: vec![7; 100_000],
                },
            ),
        ]))
    }

    #[test]
    fn restore_then_dump_roundtrips() {
        let mut nar = Vec::new();
        tree().write_nar(&mut nar).unwrap();
        let dir = tempfile::tempdir().unwrap();
        for target in [dir.path().join("new"), dir.path().join("empty")] {
            if target.ends_with("empty") {
                fs::create_dir(&target).unwrap();
            }
            restore(&nar[..], &target).unwrap();
            let mut again = Vec::new();
            dump_path(&target, &mut again).unwrap();
            assert_eq!(again, nar);
            let mode = fs::metadata(target.join("bin/hello"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o111, 0o111);
        }
    }

    #[test]
    fn single_file_into_empty_dir() {
        let mut nar = Vec::new();
        NarNode::Regular {
            executable: false,
            contents: b"x".to_vec(),
        }
        .write_nar(&mut nar)
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("t");
        fs::create_dir(&target).unwrap();
        restore(&nar[..], &target).unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"x");
    }

    #[test]
    fn refuses_existing_targets() {
        let mut nar = Vec::new();
        tree().write_nar(&mut nar).unwrap();
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("f"), b"").unwrap();
        assert!(matches!(
            restore(&nar[..], &dir.path().join("f")),
            Err(RestoreError::TargetExists(_))
        ));
        assert!(matches!(
            restore(&nar[..], dir.path()),
            Err(RestoreError::TargetExists(_))
        ));
    }
}
