//! A strict, streaming NAR parser.
//!
//! [`NarReader`] pulls one [`NarEntry`] at a time from any [`Read`]; file
//! contents are streamed with [`NarReader::read_contents`] (or skipped), never
//! loaded whole. Only the canonical encoding is accepted — the one
//! `nix-store --dump` writes — so `dump(restore(nar)) == nar` for every
//! accepted archive.

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Read, Write};

use thiserror::Error;

use super::encode::padding;
use super::{MAGIC, NarNode};

/// Maximum directory nesting depth (the root directory counts as 1).
///
/// Nix has no limit; 256 is far beyond real trees (`PATH_MAX` allows about
/// 2048 one-letter levels) and bounds the parser's memory.
pub const MAX_DEPTH: usize = 256;
/// Maximum length of an entry name in bytes (Linux `NAME_MAX`).
pub const MAX_NAME_LEN: usize = 255;
/// Maximum length of a symlink target in bytes (Linux `PATH_MAX` - 1).
pub const MAX_TARGET_LEN: usize = 4095;
/// The longest keyword in the format.
const MAX_TAG_LEN: usize = 16;

/// An invalid or unreadable NAR, with the byte offset where the problem starts.
///
/// Displays as `invalid NAR at byte N: <kind>`; its [`std::error::Error::source`]
/// is the underlying IO error, if any.
#[derive(Debug)]
pub struct NarError {
    /// Offset from the start of the archive of the offending token.
    pub offset: u64,
    /// What is wrong.
    pub kind: NarErrorKind,
}

impl std::fmt::Display for NarError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid NAR at byte {}: {}", self.offset, self.kind)
    }
}

impl std::error::Error for NarError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.kind)
    }
}

/// What is wrong with a NAR.
#[derive(Debug, Error)]
pub enum NarErrorKind {
    /// Reading the input failed.
    #[error("cannot read the archive")]
    Io(#[source] io::Error),
    /// Writing file contents to the caller's sink failed.
    #[error("cannot write file contents")]
    Write(#[source] io::Error),
    /// The input ended in the middle of the archive.
    #[error("archive is truncated")]
    Truncated,
    /// The input does not start with `nix-archive-1`.
    #[error("not a NAR (bad magic; expected \"nix-archive-1\")")]
    BadMagic,
    /// A keyword other than the one the grammar requires here.
    #[error("expected {expected}, found {found}")]
    UnexpectedTag {
        /// What the grammar allows here.
        expected: &'static str,
        /// What was found, escaped for display.
        found: String,
    },
    /// A node type other than `regular`, `symlink` or `directory`.
    #[error("unknown node type {0}")]
    UnknownType(String),
    /// Padding after a string contains non-zero bytes.
    #[error("non-zero padding bytes")]
    NonZeroPadding,
    /// A string is longer than allowed at this position.
    #[error("{what} of {len} bytes exceeds the limit of {max}")]
    TooLong {
        /// Which string.
        what: &'static str,
        /// Its declared length.
        len: u64,
        /// The limit.
        max: usize,
    },
    /// The `executable` marker has a non-empty value.
    #[error("executable marker has a non-empty value")]
    NonEmptyExecutable,
    /// An entry name is empty, `.`, `..`, or contains `/` or NUL.
    #[error("invalid entry name {}: {reason}", escape(name))]
    InvalidName {
        /// The name.
        name: Vec<u8>,
        /// Why it is invalid.
        reason: &'static str,
    },
    /// An entry name sorts before the previous one.
    #[error(
        "directory entries are not sorted: {} comes after {}",
        escape(name),
        escape(previous)
    )]
    UnsortedEntry {
        /// The entry name.
        name: Vec<u8>,
        /// The previous entry's name.
        previous: Vec<u8>,
    },
    /// An entry name occurs twice in one directory.
    #[error("duplicate directory entry {}", escape(name))]
    DuplicateEntry {
        /// The name.
        name: Vec<u8>,
    },
    /// Directories nest more than [`MAX_DEPTH`] levels.
    #[error("directories nest deeper than {MAX_DEPTH} levels")]
    TooDeep,
    /// A symlink target is empty or contains NUL.
    #[error("invalid symlink target {}: {reason}", escape(target))]
    InvalidSymlinkTarget {
        /// The target.
        target: Vec<u8>,
        /// Why it is invalid.
        reason: &'static str,
    },
    /// Bytes follow the end of the archive.
    #[error("trailing data after the end of the archive")]
    TrailingData,
    /// The reader was used again after it returned an error.
    #[error("reader used after an earlier error")]
    AfterError,
}

/// Escapes bytes for an error message.
fn escape(bytes: &[u8]) -> String {
    format!("\"{}\"", bytes.escape_ascii())
}

/// The kind of a node in a NAR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    /// A regular file of `size` bytes; read them with [`NarReader::read_contents`].
    Regular {
        /// Whether the file is executable.
        executable: bool,
        /// The contents length.
        size: u64,
    },
    /// A symbolic link.
    Symlink {
        /// The link target.
        target: Vec<u8>,
    },
    /// A directory; its entries follow.
    Directory,
}

/// One node of a NAR, in the order the archive lists them (pre-order, entries sorted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NarEntry {
    /// Path relative to the root, components joined by `/`; empty for the root.
    pub path: Vec<u8>,
    /// The node.
    pub kind: EntryKind,
}

#[derive(Debug, Clone, Copy)]
enum State {
    Magic,
    Node,
    Contents { left: u64, pad: usize },
    NodeClosed,
    DirBody,
    Done,
    Failed,
}

struct Frame {
    last: Option<Vec<u8>>,
    path_len: usize,
}

/// A streaming NAR parser.
pub struct NarReader<R> {
    r: BufReader<R>,
    pos: u64,
    state: State,
    stack: Vec<Frame>,
    path: Vec<u8>,
}

impl<R: Read> NarReader<R> {
    /// Starts parsing; nothing is read until [`Self::next_entry`].
    pub fn new(reader: R) -> Self {
        Self {
            r: BufReader::with_capacity(256 * 1024, reader),
            pos: 0,
            state: State::Magic,
            stack: Vec::new(),
            path: Vec::new(),
        }
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// The next node, or `None` once the whole archive (and the end of the
    /// input) has been read. Unread contents of the previous file are skipped.
    pub fn next_entry(&mut self) -> Result<Option<NarEntry>, NarError> {
        let r = self.step();
        if r.is_err() {
            self.state = State::Failed;
        }
        r
    }

    /// Streams the contents of the regular file just returned by
    /// [`Self::next_entry`] to `out`, returning the number of bytes copied.
    /// Returns 0 if there are no unread contents.
    pub fn read_contents<W: Write + ?Sized>(&mut self, out: &mut W) -> Result<u64, NarError> {
        let State::Contents { mut left, pad } = self.state else {
            return Ok(0);
        };
        let mut copied = 0;
        while left > 0 {
            let buf = match self.r.fill_buf() {
                Ok(buf) => buf,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.fail(self.pos, NarErrorKind::Io(e))),
            };
            if buf.is_empty() {
                return Err(self.fail(self.pos, NarErrorKind::Truncated));
            }
            let n = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
            if let Err(e) = out.write_all(&buf[..n]) {
                return Err(self.fail(self.pos, NarErrorKind::Write(e)));
            }
            self.r.consume(n);
            self.pos += n as u64;
            left -= n as u64;
            copied += n as u64;
            self.state = State::Contents { left, pad };
        }
        Ok(copied)
    }

    fn fail(&mut self, offset: u64, kind: NarErrorKind) -> NarError {
        self.state = State::Failed;
        NarError { offset, kind }
    }

    fn step(&mut self) -> Result<Option<NarEntry>, NarError> {
        loop {
            match self.state {
                State::Failed => return Err(err(self.pos, NarErrorKind::AfterError)),
                State::Done => return Ok(None),
                State::Magic => {
                    let mut tag = [0u8; MAX_TAG_LEN];
                    let ok =
                        matches!(self.read_tag(&mut tag, "magic"), Ok(n) if &tag[..n] == MAGIC);
                    if !ok {
                        return Err(err(0, NarErrorKind::BadMagic));
                    }
                    self.state = State::Node;
                }
                State::Node => return self.read_node().map(Some),
                State::Contents { .. } => {
                    self.read_contents(&mut io::sink())?;
                    if let State::Contents { pad, .. } = self.state {
                        self.read_padding(pad)?;
                    }
                    self.expect(b")", "\")\"")?;
                    self.state = State::NodeClosed;
                }
                State::NodeClosed => match self.stack.last() {
                    None => {
                        let at = self.pos;
                        let more = loop {
                            match self.r.fill_buf() {
                                Ok(buf) => break !buf.is_empty(),
                                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                                Err(e) => return Err(err(at, NarErrorKind::Io(e))),
                            }
                        };
                        if more {
                            return Err(err(at, NarErrorKind::TrailingData));
                        }
                        self.state = State::Done;
                    }
                    Some(frame) => {
                        let len = frame.path_len;
                        self.expect(b")", "\")\" closing the entry")?;
                        self.path.truncate(len);
                        self.state = State::DirBody;
                    }
                },
                State::DirBody => {
                    let at = self.pos;
                    let mut tag = [0u8; MAX_TAG_LEN];
                    let expected = "\"entry\" or \")\"";
                    let n = self.read_tag(&mut tag, expected)?;
                    match &tag[..n] {
                        b"entry" => self.read_entry_header()?,
                        b")" => {
                            self.stack.pop();
                            self.state = State::NodeClosed;
                        }
                        other => {
                            return Err(err(
                                at,
                                NarErrorKind::UnexpectedTag {
                                    expected,
                                    found: escape(other),
                                },
                            ));
                        }
                    }
                }
            }
        }
    }

    fn read_entry_header(&mut self) -> Result<(), NarError> {
        self.expect(b"(", "\"(\"")?;
        self.expect(b"name", "\"name\"")?;
        let at = self.pos;
        let name = self.read_string(MAX_NAME_LEN, "entry name")?;
        let reason = if name.is_empty() {
            Some("empty")
        } else if name == b"." || name == b".." {
            Some("'.' and '..' are not allowed")
        } else if name.contains(&b'/') {
            Some("contains '/'")
        } else if name.contains(&0) {
            Some("contains NUL")
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(err(at, NarErrorKind::InvalidName { name, reason }));
        }
        let Some(frame) = self.stack.last_mut() else {
            return Err(err(at, NarErrorKind::AfterError));
        };
        if let Some(previous) = &frame.last {
            match name.as_slice().cmp(previous) {
                std::cmp::Ordering::Greater => {}
                std::cmp::Ordering::Equal => {
                    return Err(err(at, NarErrorKind::DuplicateEntry { name }));
                }
                std::cmp::Ordering::Less => {
                    let previous = previous.clone();
                    return Err(err(at, NarErrorKind::UnsortedEntry { name, previous }));
                }
            }
        }
        let path_len = frame.path_len;
        self.path.truncate(path_len);
        if !self.path.is_empty() {
            self.path.push(b'/');
        }
        self.path.extend_from_slice(&name);
        frame.last = Some(name);
        self.expect(b"node", "\"node\"")?;
        self.state = State::Node;
        Ok(())
    }

    fn read_node(&mut self) -> Result<NarEntry, NarError> {
        self.expect(b"(", "\"(\"")?;
        self.expect(b"type", "\"type\"")?;
        let at = self.pos;
        let mut tag = [0u8; MAX_TAG_LEN];
        let n = self.read_tag(&mut tag, "a node type")?;
        let kind = match &tag[..n] {
            b"regular" => {
                let at = self.pos;
                let expected = "\"executable\" or \"contents\"";
                let n = self.read_tag(&mut tag, expected)?;
                let executable = match &tag[..n] {
                    b"executable" => {
                        let at = self.pos;
                        if self.read_u64()? != 0 {
                            return Err(err(at, NarErrorKind::NonEmptyExecutable));
                        }
                        self.expect(b"contents", "\"contents\"")?;
                        true
                    }
                    b"contents" => false,
                    other => {
                        let found = escape(other);
                        return Err(err(at, NarErrorKind::UnexpectedTag { expected, found }));
                    }
                };
                let size = self.read_u64()?;
                self.state = State::Contents {
                    left: size,
                    pad: padding(size),
                };
                EntryKind::Regular { executable, size }
            }
            b"symlink" => {
                self.expect(b"target", "\"target\"")?;
                let at = self.pos;
                let target = self.read_string(MAX_TARGET_LEN, "symlink target")?;
                let reason = if target.is_empty() {
                    Some("empty")
                } else if target.contains(&0) {
                    Some("contains NUL")
                } else {
                    None
                };
                if let Some(reason) = reason {
                    return Err(err(
                        at,
                        NarErrorKind::InvalidSymlinkTarget { target, reason },
                    ));
                }
                self.expect(b")", "\")\"")?;
                self.state = State::NodeClosed;
                EntryKind::Symlink { target }
            }
            b"directory" => {
                if self.stack.len() >= MAX_DEPTH {
                    return Err(err(at, NarErrorKind::TooDeep));
                }
                self.stack.push(Frame {
                    last: None,
                    path_len: self.path.len(),
                });
                self.state = State::DirBody;
                EntryKind::Directory
            }
            other => return Err(err(at, NarErrorKind::UnknownType(escape(other)))),
        };
        Ok(NarEntry {
            path: self.path.clone(),
            kind,
        })
    }

    fn read_exact(&mut self, buf: &mut [u8]) -> Result<(), NarError> {
        match self.r.read_exact(buf) {
            Ok(()) => {
                self.pos += buf.len() as u64;
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                Err(err(self.pos, NarErrorKind::Truncated))
            }
            Err(e) => Err(err(self.pos, NarErrorKind::Io(e))),
        }
    }

    fn read_u64(&mut self) -> Result<u64, NarError> {
        let mut b = [0u8; 8];
        self.read_exact(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn read_padding(&mut self, n: usize) -> Result<(), NarError> {
        let at = self.pos;
        let mut b = [0u8; 8];
        self.read_exact(&mut b[..n])?;
        if b[..n].iter().any(|&x| x != 0) {
            return Err(err(at, NarErrorKind::NonZeroPadding));
        }
        Ok(())
    }

    /// Reads a string of at most `max` bytes (checked before allocating).
    fn read_string(&mut self, max: usize, what: &'static str) -> Result<Vec<u8>, NarError> {
        let at = self.pos;
        let len = self.read_u64()?;
        if len > max as u64 {
            return Err(err(at, NarErrorKind::TooLong { what, len, max }));
        }
        let mut s = vec![0u8; len as usize];
        self.read_exact(&mut s)?;
        self.read_padding(padding(len))?;
        Ok(s)
    }

    /// Reads a keyword into `buf`, returning its length. A string too long to
    /// be any keyword is reported as unexpected without being read.
    fn read_tag(
        &mut self,
        buf: &mut [u8; MAX_TAG_LEN],
        expected: &'static str,
    ) -> Result<usize, NarError> {
        let at = self.pos;
        let len = self.read_u64()?;
        if len > MAX_TAG_LEN as u64 {
            let found = format!("a string of {len} bytes");
            return Err(err(at, NarErrorKind::UnexpectedTag { expected, found }));
        }
        let n = len as usize;
        self.read_exact(&mut buf[..n])?;
        self.read_padding(padding(len))?;
        Ok(n)
    }

    fn expect(&mut self, tag: &[u8], expected: &'static str) -> Result<(), NarError> {
        let at = self.pos;
        let mut buf = [0u8; MAX_TAG_LEN];
        let n = self.read_tag(&mut buf, expected)?;
        if &buf[..n] != tag {
            let found = escape(&buf[..n]);
            return Err(err(at, NarErrorKind::UnexpectedTag { expected, found }));
        }
        Ok(())
    }
}

fn err(offset: u64, kind: NarErrorKind) -> NarError {
    NarError { offset, kind }
}

/// Parses a whole NAR into its list of entries (file contents are skipped).
pub fn list<R: Read>(reader: R) -> Result<Vec<NarEntry>, NarError> {
    let mut r = NarReader::new(reader);
    let mut out = Vec::new();
    while let Some(e) = r.next_entry()? {
        out.push(e);
    }
    Ok(out)
}

/// A directory being built by [`read_tree`]: its path, its name in its parent, its entries.
type OpenDir = (Vec<u8>, Vec<u8>, BTreeMap<Vec<u8>, NarNode>);

/// Parses a whole NAR into memory. Contents are read as they arrive, so a
/// lying length costs at most the size of the actual input.
pub fn read_tree<R: Read>(reader: R) -> Result<NarNode, NarError> {
    let mut r = NarReader::new(reader);
    // Open directories: (path, name in parent, entries).
    let mut stack: Vec<OpenDir> = Vec::new();
    let mut root = None;
    while let Some(entry) = r.next_entry()? {
        let (parent, name) = match entry.path.iter().rposition(|&c| c == b'/') {
            Some(i) => (&entry.path[..i], &entry.path[i + 1..]),
            None => (&[][..], &entry.path[..]),
        };
        if !entry.path.is_empty() {
            while stack.len() > 1 && stack.last().is_some_and(|(p, _, _)| p != parent) {
                close_dir(&mut stack);
            }
        }
        let node = match entry.kind {
            EntryKind::Directory => {
                stack.push((entry.path.clone(), name.to_vec(), BTreeMap::new()));
                continue;
            }
            EntryKind::Symlink { target } => NarNode::Symlink { target },
            EntryKind::Regular { executable, .. } => {
                let mut contents = Vec::new();
                r.read_contents(&mut contents)?;
                NarNode::Regular {
                    executable,
                    contents,
                }
            }
        };
        match stack.last_mut() {
            Some((_, _, entries)) => {
                entries.insert(name.to_vec(), node);
            }
            None => root = Some(node),
        }
    }
    while stack.len() > 1 {
        close_dir(&mut stack);
    }
    Ok(match stack.pop() {
        Some((_, _, entries)) => NarNode::Directory(entries),
        None => root.unwrap_or(NarNode::Directory(BTreeMap::new())),
    })
}

fn close_dir(stack: &mut Vec<OpenDir>) {
    if let Some((_, name, entries)) = stack.pop()
        && let Some((_, _, parent)) = stack.last_mut()
    {
        parent.insert(name, NarNode::Directory(entries));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> NarNode {
        NarNode::Directory(BTreeMap::from([
            (
                b"a".to_vec(),
                NarNode::Directory(BTreeMap::from([
                    (
                        b"x".to_vec(),
                        NarNode::Regular {
                            executable: true,
                            contents: b"12345678X".to_vec(),
                        },
                    ),
                    (b"y".to_vec(), NarNode::Directory(BTreeMap::new())),
                ])),
            ),
            (
                b"b".to_vec(),
                NarNode::Symlink {
                    target: b"a/x".to_vec(),
                },
            ),
            (
                b"c".to_vec(),
                NarNode::Regular {
                    executable: false,
                    contents: vec![],
                },
            ),
        ]))
    }

    #[test]
    fn lists_entries_in_order() {
        let mut nar = Vec::new();
        sample().write_nar(&mut nar).unwrap();
        let entries = list(&nar[..]).unwrap();
        let paths: Vec<&[u8]> = entries.iter().map(|e| e.path.as_slice()).collect();
        assert_eq!(paths, [&b""[..], b"a", b"a/x", b"a/y", b"b", b"c"]);
        assert_eq!(
            entries[2].kind,
            EntryKind::Regular {
                executable: true,
                size: 9
            }
        );
        assert_eq!(
            entries[4].kind,
            EntryKind::Symlink {
                target: b"a/x".to_vec()
            }
        );
    }

    #[test]
    fn read_tree_roundtrips() {
        let mut nar = Vec::new();
        sample().write_nar(&mut nar).unwrap();
        assert_eq!(read_tree(&nar[..]).unwrap(), sample());
        let single = NarNode::Regular {
            executable: false,
            contents: b"x".to_vec(),
        };
        let mut nar = Vec::new();
        single.write_nar(&mut nar).unwrap();
        assert_eq!(read_tree(&nar[..]).unwrap(), single);
    }

    #[test]
    fn streams_contents() {
        let mut nar = Vec::new();
        sample().write_nar(&mut nar).unwrap();
        let mut r = NarReader::new(&nar[..]);
        let mut seen = Vec::new();
        while let Some(e) = r.next_entry().unwrap() {
            if let EntryKind::Regular { size, .. } = e.kind {
                let mut buf = Vec::new();
                assert_eq!(r.read_contents(&mut buf).unwrap(), size);
                seen.push(buf);
            }
        }
        assert_eq!(seen, vec![b"12345678X".to_vec(), vec![]]);
    }

    #[test]
    fn truncation_is_reported_at_every_length() {
        let mut nar = Vec::new();
        sample().write_nar(&mut nar).unwrap();
        for cut in 0..nar.len() {
            let e = list(&nar[..cut]).unwrap_err();
            assert!(
                matches!(e.kind, NarErrorKind::Truncated | NarErrorKind::BadMagic),
                "cut at {cut}: {e}"
            );
        }
    }
}
