//! `builtin:cairn-tree`: an output made of files, directories and symlinks
//! that the derivation describes in JSON, so that assembling a system
//! (its /etc, unit files, toplevel) needs no shell in the store.
//!
//! The attribute `entries` is a JSON list; each entry has a relative
//! `path` and a `type`:
//! - `"regular"` with `text` (the contents) and optional `executable`;
//! - `"symlink"` with `target`;
//! - `"directory"` (parents are made as needed anyway).
//!
//! The output is always a directory. Paths must be relative, without `.`
//! or `..`, and each may appear once. Modes are the store's (0444 or 0555
//! for files), so metadata like an /etc file's wanted mode travels as
//! files of its own, as NixOS's etc builder writes `NAME.mode`.

use std::collections::BTreeSet;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{BuiltinContext, BuiltinError};

/// One thing to create.
#[derive(Debug, PartialEq, Eq)]
enum Entry {
    Regular { text: String, executable: bool },
    Symlink { target: String },
    Directory,
}

pub(super) fn build(cx: &mut BuiltinContext<'_>) -> Result<(), BuiltinError> {
    let out = PathBuf::from(cx.attr_str("out")?);
    let entries = parse(cx.attr_str("entries")?)?;
    let host_out = cx.view.host(&out)?;
    make_dir(&host_out)?;
    for (path, entry) in &entries {
        let host = host_out.join(path);
        if let Some(parent) = host.parent() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o755)
                .create(parent)
                .map_err(BuiltinError::io("creating", parent))?;
        }
        match entry {
            Entry::Regular { text, executable } => {
                let mut file = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(if *executable { 0o555 } else { 0o444 })
                    .open(&host)
                    .map_err(BuiltinError::io("creating", &host))?;
                file.write_all(text.as_bytes())
                    .map_err(BuiltinError::io("writing", &host))?;
            }
            Entry::Symlink { target } => std::os::unix::fs::symlink(target, &host)
                .map_err(BuiltinError::io("linking", &host))?,
            Entry::Directory => make_dir(&host)?,
        }
    }
    let _ = writeln!(cx.log, "created {} entries", entries.len());
    Ok(())
}

fn make_dir(path: &Path) -> Result<(), BuiltinError> {
    match std::fs::DirBuilder::new().mode(0o755).create(path) {
        Ok(()) => Ok(()),
        // A directory an earlier entry's parent already made.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && path.is_dir() => Ok(()),
        Err(e) => Err(BuiltinError::io("creating", path)(e)),
    }
}

/// Reads `entries`: every path checked, none twice.
fn parse(json: &str) -> Result<Vec<(PathBuf, Entry)>, BuiltinError> {
    let bad = |reason: String| BuiltinError::BadAttribute {
        name: "entries".to_owned(),
        reason,
    };
    let value: Value = serde_json::from_str(json).map_err(|e| bad(e.to_string()))?;
    let Value::Array(items) = value else {
        return Err(bad("not a JSON list".to_owned()));
    };
    let mut seen = BTreeSet::new();
    let mut entries = Vec::with_capacity(items.len());
    for item in &items {
        let field = |name: &str| item.get(name).and_then(Value::as_str);
        let path = field("path").ok_or_else(|| bad(format!("entry without a path: {item}")))?;
        let path = relative_path(path).ok_or_else(|| bad(format!("bad path '{path}'")))?;
        if !seen.insert(path.clone()) {
            return Err(bad(format!("'{}' appears twice", path.display())));
        }
        // An entry under a file or symlink made earlier cannot be created.
        for ancestor in path.ancestors().skip(1) {
            if let Some((_, parent)) = entries
                .iter()
                .find(|(p, _): &&(PathBuf, Entry)| p == ancestor)
                && *parent != Entry::Directory
            {
                return Err(bad(format!(
                    "'{}' is inside '{}', which is not a directory",
                    path.display(),
                    ancestor.display()
                )));
            }
        }
        let entry = match field("type") {
            Some("regular") => Entry::Regular {
                text: field("text")
                    .ok_or_else(|| bad(format!("'{}' has no text", path.display())))?
                    .to_owned(),
                executable: item
                    .get("executable")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            },
            Some("symlink") => Entry::Symlink {
                target: field("target")
                    .ok_or_else(|| bad(format!("'{}' has no target", path.display())))?
                    .to_owned(),
            },
            Some("directory") => Entry::Directory,
            other => {
                return Err(bad(format!(
                    "'{}' has type {other:?}; want regular, symlink or directory",
                    path.display()
                )));
            }
        };
        entries.push((path, entry));
    }
    Ok(entries)
}

/// `path` if it is relative and made of plain names only.
fn relative_path(path: &str) -> Option<PathBuf> {
    let plain = !path.is_empty()
        && path
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..");
    plain.then(|| PathBuf::from(path))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // test code: a panic is the failure report
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_kinds() {
        let entries = parse(
            r##"[{"path":"etc/a","type":"regular","text":"hi\n"},
                {"path":"bin/x","type":"regular","text":"#!","executable":true},
                {"path":"etc/l","type":"symlink","target":"/nix/store/x"},
                {"path":"empty","type":"directory"}]"##,
        )
        .unwrap();
        assert_eq!(entries.len(), 4);
        assert_eq!(
            entries[1].1,
            Entry::Regular {
                text: "#!".into(),
                executable: true
            }
        );
    }

    #[test]
    fn rejects_bad_paths_and_duplicates() {
        for bad in ["/abs", "../up", "a/../b", "a/./b", "", "a//b", "a/", "."] {
            let json = format!(r#"[{{"path":"{bad}","type":"directory"}}]"#);
            assert!(parse(&json).is_err(), "{bad} accepted");
        }
        assert!(
            parse(r#"[{"path":"a","type":"directory"},{"path":"a","type":"directory"}]"#).is_err()
        );
        assert!(
            parse(
                r#"[{"path":"a","type":"symlink","target":"x"},{"path":"a/b","type":"directory"}]"#
            )
            .is_err()
        );
        assert!(parse(r#"[{"path":"a","type":"fifo"}]"#).is_err());
        assert!(parse(r#"[{"path":"a","type":"regular"}]"#).is_err());
        assert!(parse(r#"{"path":"a"}"#).is_err());
    }
}
