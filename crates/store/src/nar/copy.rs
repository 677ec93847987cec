//! Copying a file tree the way a store add reads it: regular files (with
//! their executable bit), symlinks and directories, nothing else.

use std::fs::{self, File};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::{DumpError, PathFilter};

/// Recreates the tree at `source` (not following a symlink at `source`
/// itself) at `target`, which must not exist yet, leaving out the entries
/// `filter` refuses. Files get mode 0644 (0755 when executable) and
/// directories 0755, as [`restore`](super::restore) gives them.
///
/// The structure is made first, then the files' contents are copied in
/// parallel, inside the kernel where it can (`copy_file_range`), and each
/// file's writing back to disk is started as soon as it is copied, so that
/// flushing the whole copy afterwards (as a store does before registering
/// it) has little left to wait for. Hash the copy afterwards, never the
/// source, which may change meanwhile.
pub fn copy_tree(source: &Path, target: &Path, filter: PathFilter<'_>) -> Result<(), DumpError> {
    let mut files = Vec::new();
    copy_structure(
        &mut source.to_path_buf(),
        &mut target.to_path_buf(),
        filter,
        &mut files,
    )?;
    files.par_iter().try_for_each(FileCopy::run)
}

/// A regular file still to copy.
struct FileCopy {
    source: PathBuf,
    target: PathBuf,
    executable: bool,
}

impl FileCopy {
    fn run(&self) -> Result<(), DumpError> {
        let mut from = File::open(&self.source).map_err(|source| DumpError::Read {
            path: self.source.clone(),
            source,
        })?;
        let copy_err = |source| DumpError::Copy {
            path: self.target.clone(),
            source,
        };
        let mut to = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(if self.executable { 0o755 } else { 0o644 })
            .open(&self.target)
            .map_err(copy_err)?;
        io::copy(&mut from, &mut to).map_err(copy_err)?;
        start_writeback(&to);
        Ok(())
    }
}

/// Asks the kernel to start writing `file`'s data to disk, without waiting.
/// Only a head start for a later flush: failure changes nothing.
fn start_writeback(file: &File) {
    use std::os::fd::AsRawFd;
    // SAFETY: `file` is an open descriptor for the duration of the call;
    // the call reads no memory of ours.
    let _ = unsafe { libc::sync_file_range(file.as_raw_fd(), 0, 0, libc::SYNC_FILE_RANGE_WRITE) };
}

/// Makes the directories and symlinks of the tree at `source` under
/// `target`, and lists the regular files to copy.
fn copy_structure(
    source: &mut PathBuf,
    target: &mut PathBuf,
    filter: PathFilter<'_>,
    files: &mut Vec<FileCopy>,
) -> Result<(), DumpError> {
    let read_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| DumpError::Read { path, source }
    };
    let copy_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| DumpError::Copy { path, source }
    };
    let meta = fs::symlink_metadata(&*source).map_err(read_err(source))?;
    let file_type = meta.file_type();
    if file_type.is_file() {
        files.push(FileCopy {
            source: source.clone(),
            target: target.clone(),
            executable: meta.permissions().mode() & 0o100 != 0,
        });
    } else if file_type.is_symlink() {
        let link = fs::read_link(&*source).map_err(read_err(source))?;
        std::os::unix::fs::symlink(&link, &*target).map_err(copy_err(target))?;
    } else if file_type.is_dir() {
        fs::DirBuilder::new()
            .mode(0o755)
            .create(&*target)
            .map_err(copy_err(target))?;
        for entry in fs::read_dir(&*source).map_err(read_err(source))? {
            let name = entry.map_err(read_err(source))?.file_name();
            source.push(&name);
            if filter(source) {
                target.push(&name);
                let copied = copy_structure(source, target, &mut *filter, files);
                target.pop();
                source.pop();
                copied?;
            } else {
                source.pop();
            }
        }
    } else {
        return Err(DumpError::UnsupportedType {
            path: source.clone(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nar::dump_path;

    #[test]
    fn a_copy_dumps_as_the_original_minus_what_the_filter_refuses() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        fs::create_dir_all(root.join("sub/deeper")).unwrap();
        fs::create_dir(root.join("empty")).unwrap();
        fs::write(root.join("a"), b"a").unwrap();
        fs::write(root.join("sub/big"), vec![7u8; 3 << 20]).unwrap();
        fs::write(root.join("sub/deeper/exe"), b"#!/bin/sh\n").unwrap();
        fs::set_permissions(
            root.join("sub/deeper/exe"),
            fs::Permissions::from_mode(0o700),
        )
        .unwrap();
        std::os::unix::fs::symlink("../a", root.join("sub/link")).unwrap();
        std::os::unix::fs::symlink("/nowhere", root.join("dangling")).unwrap();

        let copy = dir.path().join("copy");
        copy_tree(&root, &copy, &mut |_| true).unwrap();
        let dump = |path: &Path| {
            let mut nar = Vec::new();
            dump_path(path, &mut nar).unwrap();
            nar
        };
        assert_eq!(dump(&copy), dump(&root));
        assert_eq!(
            fs::metadata(copy.join("sub/deeper/exe"))
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o755
        );

        let filtered = dir.path().join("filtered");
        copy_tree(&root, &filtered, &mut |p| !p.ends_with("sub")).unwrap();
        fs::remove_dir_all(root.join("sub")).unwrap();
        assert_eq!(dump(&filtered), dump(&root));
    }

    #[test]
    fn special_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        fs::create_dir(&root).unwrap();
        let _socket = std::os::unix::net::UnixListener::bind(root.join("socket")).unwrap();
        let err = copy_tree(&root, &dir.path().join("copy"), &mut |_| true).unwrap_err();
        assert!(matches!(err, DumpError::UnsupportedType { .. }), "{err}");
    }
}
