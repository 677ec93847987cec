//! A corpus of malformed NARs: each must be rejected with the right error and
//! offset, by both the listing reader and `restore`, without panicking and
//! without writing anything outside the restore target.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::fs;
use std::path::Path;

use cairn_store::nar::{self, MAX_DEPTH, NarErrorKind, RestoreError};

/// Appends a NAR string: u64 LE length, bytes, zero padding to 8.
fn put(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(&(s.len() as u64).to_le_bytes());
    out.extend_from_slice(s);
    out.resize(out.len().div_ceil(8) * 8, 0);
}

fn nar(tokens: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for t in tokens {
        put(&mut out, t);
    }
    out
}

/// Offset of token `i` in `nar(tokens)`.
fn offset_of(tokens: &[&[u8]], i: usize) -> u64 {
    nar(&tokens[..i]).len() as u64
}

const MAGIC: &[u8] = b"nix-archive-1";

fn file(contents: &'static [u8]) -> Vec<&'static [u8]> {
    vec![b"(", b"type", b"regular", b"contents", contents, b")"]
}

/// `nix-archive-1 ( type directory <entries> )` with entries given as (name, node tokens).
fn dir(entries: &[(&'static [u8], Vec<&'static [u8]>)]) -> Vec<&'static [u8]> {
    let mut t: Vec<&'static [u8]> = vec![b"(", b"type", b"directory"];
    for (name, node) in entries {
        t.extend_from_slice(&[b"entry", b"(", b"name", name, b"node"]);
        t.extend_from_slice(node);
        t.push(b")");
    }
    t.push(b")");
    t
}

fn with_magic(node: Vec<&'static [u8]>) -> Vec<&'static [u8]> {
    let mut t = vec![MAGIC];
    t.extend(node);
    t
}

/// Checks that `bytes` is rejected with an error satisfying `check` at `offset`
/// (if given), by `list` and by `restore`, and that restore wrote nothing
/// outside its target.
fn assert_rejected(
    label: &str,
    bytes: &[u8],
    offset: Option<u64>,
    check: impl Fn(&NarErrorKind) -> bool,
) {
    let e = nar::list(bytes).expect_err(label);
    assert!(check(&e.kind), "{label}: wrong error: {e}");
    if let Some(offset) = offset {
        assert_eq!(e.offset, offset, "{label}: wrong offset: {e}");
    }
    // The message names the offset.
    assert!(
        e.to_string().contains(&format!("byte {}", e.offset)),
        "{label}"
    );

    let dir = tempfile::tempdir().unwrap();
    let outside = dir.path().join("outside");
    fs::create_dir(&outside).unwrap();
    let target = dir.path().join("target");
    match nar::restore(bytes, &target) {
        Err(RestoreError::Nar(e)) => assert!(check(&e.kind), "{label}: restore: {e}"),
        other => panic!("{label}: restore gave {other:?}"),
    }
    assert_eq!(fs::read_dir(&outside).unwrap().count(), 0, "{label}");
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(names.len() <= 2, "{label}: wrote {names:?}");
    assert_no_escape(&target, dir.path());
}

/// Every entry under `target` is a real file, dir or symlink *inside* it.
fn assert_no_escape(target: &Path, root: &Path) {
    let Ok(meta) = fs::symlink_metadata(target) else {
        return;
    };
    assert!(target.starts_with(root));
    if meta.is_dir() {
        for e in fs::read_dir(target).unwrap() {
            assert_no_escape(&e.unwrap().path(), root);
        }
    }
}

#[test]
fn bad_magic() {
    assert_rejected("empty input", b"", Some(0), |k| {
        matches!(k, NarErrorKind::BadMagic)
    });
    let t = with_magic(file(b"x"));
    let mut bytes = nar(&t);
    bytes[8 + 12] = b'2'; // nix-archive-2
    assert_rejected("magic", &bytes, Some(0), |k| {
        matches!(k, NarErrorKind::BadMagic)
    });
    assert_rejected("huge magic length", &u64::MAX.to_le_bytes(), Some(0), |k| {
        matches!(k, NarErrorKind::BadMagic)
    });
}

#[test]
fn non_zero_padding() {
    let t = with_magic(file(b"abc"));
    let mut bytes = nar(&t);
    // Padding of the contents string: after its length (8) and 3 bytes.
    let contents_at = offset_of(&t, 5) as usize;
    bytes[contents_at + 8 + 3] = 1;
    assert_rejected(
        "contents padding",
        &bytes,
        Some(contents_at as u64 + 11),
        |k| matches!(k, NarErrorKind::NonZeroPadding),
    );
    let mut bytes = nar(&t);
    let type_at = offset_of(&t, 2) as usize; // "type"
    bytes[type_at + 8 + 4] = 0x80;
    assert_rejected("tag padding", &bytes, Some(type_at as u64 + 12), |k| {
        matches!(k, NarErrorKind::NonZeroPadding)
    });
}

#[test]
fn unsorted_and_duplicate_entries() {
    let t = with_magic(dir(&[(b"b", file(b"")), (b"a", file(b""))]));
    // Each entry is 12 tokens; the second name follows "entry" "(" "name".
    let second_name = offset_of(&t, 4 + 12 + 3);
    assert_rejected(
        "unsorted",
        &nar(&t),
        Some(second_name),
        |k| matches!(k, NarErrorKind::UnsortedEntry { name, previous } if name == b"a" && previous == b"b"),
    );
    let t = with_magic(dir(&[(b"a", file(b"")), (b"a", file(b""))]));
    assert_rejected(
        "duplicate",
        &nar(&t),
        Some(second_name),
        |k| matches!(k, NarErrorKind::DuplicateEntry { name } if name == b"a"),
    );
    // Byte-wise order: "B" (0x42) < "a" (0x61) < "\xff".
    let ok = with_magic(dir(&[
        (b"B", file(b"")),
        (b"a", file(b"")),
        (b"\xff", file(b"")),
    ]));
    nar::list(&nar(&ok)[..]).unwrap();
}

#[test]
fn invalid_names() {
    for name in [&b""[..], b".", b"..", b"a/b", b"../escape", b"a\0b"] {
        let t = with_magic(dir(&[(name, file(b"x"))]));
        let name_at = offset_of(&t, 7);
        assert_rejected(
            &format!("name {:?}", name.escape_ascii().to_string()),
            &nar(&t),
            Some(name_at),
            |k| matches!(k, NarErrorKind::InvalidName { name: n, .. } if n == name),
        );
    }
    let long: &'static [u8] = Box::leak(vec![b'x'; 256].into_boxed_slice());
    let t = with_magic(dir(&[(long, file(b"x"))]));
    assert_rejected("long name", &nar(&t), Some(offset_of(&t, 7)), |k| {
        matches!(k, NarErrorKind::TooLong { len: 256, .. })
    });
}

#[test]
fn too_deep() {
    let mut t: Vec<&[u8]> = vec![MAGIC];
    for _ in 0..=MAX_DEPTH {
        t.extend_from_slice(&[
            b"(",
            b"type",
            b"directory",
            b"entry",
            b"(",
            b"name",
            b"d",
            b"node",
        ]);
    }
    let deepest = offset_of(&t, t.len() - 8 + 2);
    assert_rejected("too deep", &nar(&t), Some(deepest), |k| {
        matches!(k, NarErrorKind::TooDeep)
    });

    // Exactly MAX_DEPTH directories is fine.
    let mut t: Vec<&[u8]> = vec![MAGIC];
    for _ in 0..MAX_DEPTH - 1 {
        t.extend_from_slice(&[
            b"(",
            b"type",
            b"directory",
            b"entry",
            b"(",
            b"name",
            b"d",
            b"node",
        ]);
    }
    t.extend_from_slice(&[b"(", b"type", b"directory", b")"]);
    for _ in 0..MAX_DEPTH - 1 {
        t.extend_from_slice(&[b")", b")"]);
    }
    assert_eq!(nar::list(&nar(&t)[..]).unwrap().len(), MAX_DEPTH);
}

#[test]
fn unknown_tags() {
    let t = with_magic(vec![b"(", b"type", b"fifo", b")"]);
    assert_rejected("node type", &nar(&t), Some(offset_of(&t, 3)), |k| {
        matches!(k, NarErrorKind::UnknownType(_))
    });
    let t = with_magic(vec![b"(", b"type", b"regular", b"contentz", b"", b")"]);
    assert_rejected("regular tag", &nar(&t), Some(offset_of(&t, 4)), |k| {
        matches!(k, NarErrorKind::UnexpectedTag { .. })
    });
    let t = with_magic(vec![b"[", b"type", b"regular", b"contents", b"", b")"]);
    assert_rejected("open paren", &nar(&t), Some(offset_of(&t, 1)), |k| {
        matches!(k, NarErrorKind::UnexpectedTag { .. })
    });
    let t = with_magic(vec![b"(", b"type", b"directory", b"entri", b")"]);
    assert_rejected("dir tag", &nar(&t), Some(offset_of(&t, 4)), |k| {
        matches!(k, NarErrorKind::UnexpectedTag { .. })
    });
    // Nix 2.8 would accept `executable` after `contents`; we only accept the canonical order.
    let t = with_magic(vec![
        b"(",
        b"type",
        b"regular",
        b"contents",
        b"",
        b"executable",
        b"",
        b")",
    ]);
    assert_rejected(
        "executable after contents",
        &nar(&t),
        Some(offset_of(&t, 6)),
        |k| matches!(k, NarErrorKind::UnexpectedTag { .. }),
    );
    let t = with_magic(vec![
        b"(",
        b"type",
        b"regular",
        b"executable",
        b"yes",
        b"contents",
        b"",
        b")",
    ]);
    assert_rejected("executable value", &nar(&t), Some(offset_of(&t, 5)), |k| {
        matches!(k, NarErrorKind::NonEmptyExecutable)
    });
    let mut bytes = nar(&with_magic(vec![b"(", b"type"]));
    let at = bytes.len() as u64;
    bytes.extend_from_slice(&(1u64 << 40).to_le_bytes());
    assert_rejected("huge tag", &bytes, Some(at), |k| {
        matches!(k, NarErrorKind::UnexpectedTag { .. })
    });
}

#[test]
fn bad_symlinks() {
    let t = with_magic(vec![b"(", b"type", b"symlink", b"target", b"", b")"]);
    assert_rejected("empty target", &nar(&t), Some(offset_of(&t, 5)), |k| {
        matches!(k, NarErrorKind::InvalidSymlinkTarget { .. })
    });
    let t = with_magic(vec![b"(", b"type", b"symlink", b"target", b"a\0b", b")"]);
    assert_rejected("NUL target", &nar(&t), Some(offset_of(&t, 5)), |k| {
        matches!(k, NarErrorKind::InvalidSymlinkTarget { .. })
    });
    let long: &'static [u8] = Box::leak(vec![b'x'; 4096].into_boxed_slice());
    let t = with_magic(vec![b"(", b"type", b"symlink", b"target", long, b")"]);
    assert_rejected("long target", &nar(&t), Some(offset_of(&t, 5)), |k| {
        matches!(k, NarErrorKind::TooLong { len: 4096, .. })
    });
}

#[test]
fn trailing_data() {
    let t = with_magic(file(b"x"));
    let mut bytes = nar(&t);
    let end = bytes.len() as u64;
    bytes.push(0);
    assert_rejected("trailing byte", &bytes, Some(end), |k| {
        matches!(k, NarErrorKind::TrailingData)
    });
}

#[test]
fn truncation_and_absurd_lengths() {
    let t = with_magic(dir(&[
        (b"a", file(b"hello world")),
        (b"b", vec![b"(", b"type", b"symlink", b"target", b"a", b")"]),
    ]));
    let bytes = nar(&t);
    for cut in 1..bytes.len() {
        let label = format!("cut at {cut}");
        let check =
            |k: &NarErrorKind| matches!(k, NarErrorKind::Truncated | NarErrorKind::BadMagic);
        assert_rejected(&label, &bytes[..cut], None, check);
    }
    // Contents claiming 2^63 bytes: streamed, never allocated, reported as truncated.
    let mut bytes = nar(&with_magic(vec![b"(", b"type", b"regular", b"contents"]));
    bytes.extend_from_slice(&(1u64 << 63).to_le_bytes());
    let data_at = bytes.len() as u64;
    bytes.extend_from_slice(b"only a few bytes");
    assert_rejected("absurd contents length", &bytes, Some(data_at + 16), |k| {
        matches!(k, NarErrorKind::Truncated)
    });
    // A name claiming 2^63 bytes is refused before reading it.
    let mut bytes = nar(&with_magic(vec![
        b"(",
        b"type",
        b"directory",
        b"entry",
        b"(",
        b"name",
    ]));
    let at = bytes.len() as u64;
    bytes.extend_from_slice(&(1u64 << 63).to_le_bytes());
    assert_rejected("absurd name length", &bytes, Some(at), |k| {
        matches!(k, NarErrorKind::TooLong { .. })
    });
}

#[test]
fn symlink_then_same_name_cannot_escape() {
    // "a" -> outside, then a directory "a" containing a file: would write through
    // the symlink if duplicates were accepted.
    let dir_a = vec![
        b"(" as &[u8],
        b"type",
        b"directory",
        b"entry",
        b"(",
        b"name",
        b"pwned",
        b"node",
        b"(",
        b"type",
        b"regular",
        b"contents",
        b"x",
        b")",
        b")",
        b")",
    ];
    let t = with_magic(dir(&[
        (
            b"a",
            vec![b"(", b"type", b"symlink", b"target", b"../outside", b")"],
        ),
        (b"a", dir_a),
    ]));
    assert_rejected("duplicate through symlink", &nar(&t), None, |k| {
        matches!(k, NarErrorKind::DuplicateEntry { .. })
    });
}

#[test]
fn restore_refuses_non_empty_target() {
    let bytes = nar(&with_magic(file(b"x")));
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("keep"), b"k").unwrap();
    assert!(matches!(
        nar::restore(&bytes[..], dir.path()),
        Err(RestoreError::TargetExists(_))
    ));
    assert_eq!(fs::read(dir.path().join("keep")).unwrap(), b"k");
}
