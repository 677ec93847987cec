//! `--check`: a rebuilt output against the valid one. Equal NAR hashes
//! mean equal outputs; otherwise the two trees are walked in NAR order to
//! name the first file that differs and the first byte where it does.

use std::fs;
use std::io::{self, Read};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use cairn_store::local::register::StagedOutput;
use cairn_store::path::StoreDir;
use cairn_store::path_info::PathInfo;

/// A valid output the rebuild is compared with.
pub struct Valid {
    /// Where its files are.
    pub real: PathBuf,
    /// Its registration (path and NAR hash).
    pub info: PathInfo,
}

/// `None` when every rebuilt output is the valid one bit for bit, else a
/// description of the first difference. An error when a tree cannot be
/// read.
pub fn compare(
    store_dir: &StoreDir,
    staged: &[StagedOutput],
    valid: &[Valid],
) -> Result<Option<String>, String> {
    for output in staged {
        let Some(old) = valid.iter().find(|v| v.info.path == output.info.path) else {
            continue;
        };
        if old.info.nar_hash == output.info.nar_hash {
            continue;
        }
        let shown = store_dir.display_path(&output.info.path);
        let place = first_difference(&output.staged, &old.real, Path::new(""))
            .map_err(|e| format!("comparing the rebuilt '{shown}' with the valid one: {e}"))?;
        let place = place.map_or_else(
            || "the trees are equal but their NAR hashes are not".to_owned(),
            |d| d.to_string(),
        );
        return Ok(Some(format!(
            "output '{shown}' differs from the valid one: {place} (NAR hash {} instead of {})",
            output.info.nar_hash, old.info.nar_hash
        )));
    }
    Ok(None)
}

/// Where two trees first differ.
#[derive(Debug, PartialEq, Eq)]
pub struct Difference {
    /// The file, relative to the output (empty: the output itself).
    pub file: PathBuf,
    /// How.
    pub what: What,
}

/// How a file differs.
#[derive(Debug, PartialEq, Eq)]
pub enum What {
    /// The contents, first at this byte offset.
    Contents(u64),
    /// Only one of them is executable.
    Executable,
    /// Different kinds (file, directory, symlink).
    Kind,
    /// Symlinks to different targets.
    LinkTarget,
    /// An entry only the rebuilt directory has.
    OnlyRebuilt,
    /// An entry only the valid directory has.
    OnlyValid,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let file = if self.file.as_os_str().is_empty() {
            "the output itself".to_owned()
        } else {
            format!("'{}'", self.file.display())
        };
        match self.what {
            What::Contents(offset) => write!(f, "{file} differs first at byte offset {offset}"),
            What::Executable => write!(f, "{file} is executable in only one of them"),
            What::Kind => write!(f, "{file} is of a different type"),
            What::LinkTarget => write!(f, "{file} is a symlink to a different target"),
            What::OnlyRebuilt => write!(f, "{file} exists only in the rebuilt output"),
            What::OnlyValid => write!(f, "{file} exists only in the valid output"),
        }
    }
}

/// The first difference between `new` and `old` (both named `rel` within
/// the output), in NAR order.
pub fn first_difference(new: &Path, old: &Path, rel: &Path) -> io::Result<Option<Difference>> {
    let (a, b) = (fs::symlink_metadata(new)?, fs::symlink_metadata(old)?);
    let at = |what| {
        Ok(Some(Difference {
            file: rel.to_path_buf(),
            what,
        }))
    };
    if a.file_type().is_symlink() && b.file_type().is_symlink() {
        if fs::read_link(new)? != fs::read_link(old)? {
            return at(What::LinkTarget);
        }
        return Ok(None);
    }
    if a.is_file() && b.is_file() {
        if let Some(offset) = first_differing_byte(new, old)? {
            return at(What::Contents(offset));
        }
        let executable = |m: &fs::Metadata| m.permissions().mode() & 0o100 != 0;
        if executable(&a) != executable(&b) {
            return at(What::Executable);
        }
        return Ok(None);
    }
    if a.is_dir() && b.is_dir() {
        let (names_a, names_b) = (sorted_names(new)?, sorted_names(old)?);
        let (mut i, mut j) = (0, 0);
        while i < names_a.len() || j < names_b.len() {
            let (x, y) = (names_a.get(i), names_b.get(j));
            match (x, y) {
                (Some(x), Some(y)) if x == y => {
                    let found = first_difference(&new.join(x), &old.join(y), &rel.join(x))?;
                    if found.is_some() {
                        return Ok(found);
                    }
                    i += 1;
                    j += 1;
                }
                (Some(x), Some(y)) if x.as_encoded_bytes() < y.as_encoded_bytes() => {
                    return Ok(Some(Difference {
                        file: rel.join(x),
                        what: What::OnlyRebuilt,
                    }));
                }
                (Some(x), None) => {
                    return Ok(Some(Difference {
                        file: rel.join(x),
                        what: What::OnlyRebuilt,
                    }));
                }
                (_, Some(y)) => {
                    return Ok(Some(Difference {
                        file: rel.join(y),
                        what: What::OnlyValid,
                    }));
                }
                (None, None) => break,
            }
        }
        return Ok(None);
    }
    at(What::Kind)
}

/// A directory's entry names in NAR order (by bytes).
fn sorted_names(dir: &Path) -> io::Result<Vec<std::ffi::OsString>> {
    let mut names = fs::read_dir(dir)?
        .map(|e| e.map(|e| e.file_name()))
        .collect::<io::Result<Vec<_>>>()?;
    names.sort_by(|a, b| a.as_encoded_bytes().cmp(b.as_encoded_bytes()));
    Ok(names)
}

/// The first offset where two files differ (one ending early counts).
fn first_differing_byte(a: &Path, b: &Path) -> io::Result<Option<u64>> {
    let (mut a, mut b) = (fs::File::open(a)?, fs::File::open(b)?);
    let (mut buf_a, mut buf_b) = (vec![0u8; 64 * 1024], vec![0u8; 64 * 1024]);
    let mut offset = 0u64;
    loop {
        let n = read_full(&mut a, &mut buf_a)?;
        let m = read_full(&mut b, &mut buf_b)?;
        let common = n.min(m);
        if let Some(i) = buf_a[..common]
            .iter()
            .zip(&buf_b[..common])
            .position(|(x, y)| x != y)
        {
            return Ok(Some(offset + i as u64));
        }
        if n != m {
            return Ok(Some(offset + common as u64));
        }
        if n == 0 {
            return Ok(None);
        }
        offset += n as u64;
    }
}

fn read_full(file: &mut fs::File, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code: a panic is the failure report

    use super::*;

    #[test]
    fn names_the_first_differing_file_and_byte() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        for root in [&a, &b] {
            fs::create_dir_all(root.join("bin")).unwrap();
            fs::write(root.join("aaa"), b"same").unwrap();
            std::os::unix::fs::symlink("aaa", root.join("link")).unwrap();
        }
        fs::write(a.join("bin/tool"), b"hello world").unwrap();
        fs::write(b.join("bin/tool"), b"hello World").unwrap();
        fs::write(a.join("zzz"), b"x").unwrap();
        let found = first_difference(&a, &b, Path::new("")).unwrap().unwrap();
        assert_eq!(found.file, Path::new("bin/tool"));
        assert_eq!(found.what, What::Contents(6));
        assert_eq!(
            found.to_string(),
            "'bin/tool' differs first at byte offset 6"
        );

        fs::write(b.join("bin/tool"), b"hello world!").unwrap();
        let found = first_difference(&a, &b, Path::new("")).unwrap().unwrap();
        assert_eq!(found.what, What::Contents(11));

        fs::write(b.join("bin/tool"), b"hello world").unwrap();
        let found = first_difference(&a, &b, Path::new("")).unwrap().unwrap();
        assert_eq!(found.file, Path::new("zzz"));
        assert_eq!(found.what, What::OnlyRebuilt);

        fs::write(b.join("zzz"), b"x").unwrap();
        assert_eq!(first_difference(&a, &b, Path::new("")).unwrap(), None);
        fs::set_permissions(b.join("zzz"), fs::Permissions::from_mode(0o755)).unwrap();
        let found = first_difference(&a, &b, Path::new("")).unwrap().unwrap();
        assert_eq!(found.what, What::Executable);
    }
}
