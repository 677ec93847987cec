//! NAR (Nix ARchive): the canonical serialisation of a file tree.
//!
//! ```text
//! nar   = str("nix-archive-1") node
//! node  = str("(") str("type") ( regular | symlink | directory ) str(")")
//! regular   = str("regular") [ str("executable") str("") ] str("contents") str(<bytes>)
//! symlink   = str("symlink") str("target") str(<target>)
//! directory = str("directory") { str("entry") str("(") str("name") str(<name>) str("node") node str(")") }
//! str(s) = u64-le(len(s)) s <zero padding to a multiple of 8>
//! ```
//!
//! Directory entries are sorted by byte-wise name, so every tree has exactly one NAR.
//!
//! - [`dump_path`] writes a file tree from disk, byte-identical to `nix-store --dump`;
//! - [`NarNode`] is an in-memory tree that can be written ([`NarNode::write_nar`]) and
//!   read back ([`read_tree`]), for tests and small archives;
//! - [`NarReader`] is a strict streaming parser; [`restore`] unpacks into a directory;
//! - [`hash_path`] computes a NAR (or flat) hash in one streaming pass, like `nix-hash`.

mod dump;
mod encode;
mod hash_path;
mod pipe;
mod reader;
mod restore;

use std::collections::BTreeMap;
use std::io::{self, Write};

pub use dump::{
    DumpError, PathFilter, dump_path, dump_path_and_copy, dump_path_filtered, set_canonical_mtime,
};
pub use hash_path::{HashMode, hash_path, hash_path_filtered, hash_regular_file};
pub use reader::{
    EntryKind, MAX_DEPTH, MAX_NAME_LEN, MAX_TARGET_LEN, NarEntry, NarError, NarErrorKind,
    NarReader, list, read_tree,
};
pub use restore::{RestoreError, restore};

/// The magic string every NAR starts with.
pub const MAGIC: &[u8] = b"nix-archive-1";

/// Size of the buffer used to stream file contents (1 MiB).
pub(crate) const BUF_SIZE: usize = 1 << 20;

/// A file tree held in memory.
///
/// Directory entries are kept in a [`BTreeMap`], so they are always sorted
/// byte-wise as NAR requires. Names are not validated: this type can express
/// archives that [`NarReader`] rejects (names like `..`), which is useful for tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NarNode {
    /// A regular file.
    Regular {
        /// Whether any execute bit is set (NAR records only this one bit).
        executable: bool,
        /// The file contents.
        contents: Vec<u8>,
    },
    /// A symbolic link.
    Symlink {
        /// The link target, as bytes.
        target: Vec<u8>,
    },
    /// A directory, with entries by name.
    Directory(BTreeMap<Vec<u8>, NarNode>),
}

impl NarNode {
    /// Serialises this tree as a NAR to `out`, returning the number of bytes written.
    ///
    /// ```
    /// use cairn_store::nar::NarNode;
    /// let mut nar = Vec::new();
    /// let n = NarNode::Symlink { target: b"/dev/null".to_vec() }.write_nar(&mut nar).unwrap();
    /// assert_eq!(n as usize, nar.len());
    /// assert!(nar.starts_with(b"\x0d\0\0\0\0\0\0\0nix-archive-1"));
    /// ```
    pub fn write_nar<W: Write>(&self, out: W) -> io::Result<u64> {
        let mut enc = encode::Encoder::new(out);
        enc.str(MAGIC)?;
        self.encode(&mut enc)?;
        enc.finish()
    }

    fn encode<W: Write>(&self, enc: &mut encode::Encoder<W>) -> io::Result<()> {
        match self {
            Self::Regular {
                executable,
                contents,
            } => {
                enc.regular_header(*executable, contents.len() as u64)?;
                enc.contents_chunk(contents)?;
                enc.regular_footer(contents.len() as u64)
            }
            Self::Symlink { target } => enc.symlink(target),
            Self::Directory(entries) => {
                enc.directory_start()?;
                for (name, node) in entries {
                    enc.entry_start(name)?;
                    node.encode(enc)?;
                    enc.entry_end()?;
                }
                enc.directory_end()
            }
        }
    }
}
