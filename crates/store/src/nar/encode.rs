//! Low-level NAR token encoder shared by [`super::dump_path`] and [`super::NarNode`].

use std::io::{self, Write};

/// Small tokens are gathered in this buffer and written in one call; file
/// contents bypass it.
const TOKEN_BUF: usize = 64 * 1024;

/// Writes NAR tokens to `out`, counting bytes.
pub(crate) struct Encoder<W> {
    out: W,
    buf: Vec<u8>,
    written: u64,
}

/// Zero bytes needed to pad `len` to a multiple of 8.
pub(crate) fn padding(len: u64) -> usize {
    ((8 - (len % 8)) % 8) as usize
}

impl<W: Write> Encoder<W> {
    pub(crate) fn new(out: W) -> Self {
        Self {
            out,
            buf: Vec::with_capacity(TOKEN_BUF),
            written: 0,
        }
    }

    /// Appends a length-prefixed, padded string.
    pub(crate) fn str(&mut self, s: &[u8]) -> io::Result<()> {
        self.buf.extend_from_slice(&(s.len() as u64).to_le_bytes());
        self.buf.extend_from_slice(s);
        self.buf
            .extend_from_slice(&[0u8; 8][..padding(s.len() as u64)]);
        if self.buf.len() >= TOKEN_BUF / 2 {
            self.flush_tokens()?;
        }
        Ok(())
    }

    fn flush_tokens(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            self.out.write_all(&self.buf)?;
            self.written += self.buf.len() as u64;
            self.buf.clear();
        }
        Ok(())
    }

    /// `( type regular [executable ""] contents <len>`; the caller then writes
    /// exactly `len` bytes with [`Self::contents_chunk`] and calls [`Self::regular_footer`].
    pub(crate) fn regular_header(&mut self, executable: bool, len: u64) -> io::Result<()> {
        self.str(b"(")?;
        self.str(b"type")?;
        self.str(b"regular")?;
        if executable {
            self.str(b"executable")?;
            self.str(b"")?;
        }
        self.str(b"contents")?;
        self.buf.extend_from_slice(&len.to_le_bytes());
        Ok(())
    }

    /// Writes raw file contents.
    pub(crate) fn contents_chunk(&mut self, data: &[u8]) -> io::Result<()> {
        if data.len() < 4096 && self.buf.len() + data.len() <= TOKEN_BUF {
            self.buf.extend_from_slice(data);
            return Ok(());
        }
        self.flush_tokens()?;
        self.out.write_all(data)?;
        self.written += data.len() as u64;
        Ok(())
    }

    /// Padding after `len` bytes of contents, then `)`.
    pub(crate) fn regular_footer(&mut self, len: u64) -> io::Result<()> {
        self.buf.extend_from_slice(&[0u8; 8][..padding(len)]);
        self.str(b")")
    }

    /// A whole symlink node.
    pub(crate) fn symlink(&mut self, target: &[u8]) -> io::Result<()> {
        self.str(b"(")?;
        self.str(b"type")?;
        self.str(b"symlink")?;
        self.str(b"target")?;
        self.str(target)?;
        self.str(b")")
    }

    /// `( type directory`.
    pub(crate) fn directory_start(&mut self) -> io::Result<()> {
        self.str(b"(")?;
        self.str(b"type")?;
        self.str(b"directory")
    }

    /// `entry ( name <name> node`.
    pub(crate) fn entry_start(&mut self, name: &[u8]) -> io::Result<()> {
        self.str(b"entry")?;
        self.str(b"(")?;
        self.str(b"name")?;
        self.str(name)?;
        self.str(b"node")
    }

    /// `)` closing an entry.
    pub(crate) fn entry_end(&mut self) -> io::Result<()> {
        self.str(b")")
    }

    /// `)` closing a directory.
    pub(crate) fn directory_end(&mut self) -> io::Result<()> {
        self.str(b")")
    }

    /// Flushes buffered tokens and returns the total bytes written.
    pub(crate) fn finish(mut self) -> io::Result<u64> {
        self.flush_tokens()?;
        self.out.flush()?;
        Ok(self.written)
    }
}
