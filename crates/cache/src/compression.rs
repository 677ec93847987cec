//! Compressing and decompressing NAR files as binary caches store them.
//!
//! Reading handles none, xz, zstd and bzip2 (what `nix copy` writes and
//! what cache.nixos.org serves); writing handles none, xz, zstd and bzip2.
//! Other methods a narinfo may name are refused with a clear error rather
//! than misread.

use std::io::{self, Read, Write};

use thiserror::Error;

use crate::narinfo::Compression;

/// A compression method cairn cannot handle in this direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("{method} compression is not supported for {direction} (supported: none, xz, zstd, bzip2)")]
pub struct UnsupportedCompression {
    /// The method.
    pub method: Compression,
    /// `reading` or `writing`.
    pub direction: &'static str,
}

/// The xz preset Nix uses by default.
const XZ_PRESET: u32 = 6;
/// zstd's default level, as Nix uses it.
const ZSTD_LEVEL: i32 = 3;

/// The file-name suffix Nix gives NARs compressed with `method`
/// (`nar/<hash>.nar<suffix>`).
pub fn file_suffix(method: Compression) -> &'static str {
    match method {
        Compression::None => "",
        Compression::Xz => ".xz",
        Compression::Bzip2 => ".bz2",
        Compression::Gzip => ".gz",
        Compression::Zstd => ".zst",
        Compression::Brotli => ".br",
        Compression::Lz4 => ".lz4",
        Compression::Lzip => ".lzip",
    }
}

/// A reader that yields the decompressed bytes of `reader`.
pub fn decompress<'a, R: Read + Send + 'a>(
    method: Compression,
    reader: R,
) -> Result<Box<dyn Read + Send + 'a>, UnsupportedCompression> {
    Ok(match method {
        Compression::None => Box::new(reader),
        // Multi-stream, as `xz` itself reads concatenated streams.
        Compression::Xz => Box::new(liblzma::read::XzDecoder::new_multi_decoder(reader)),
        Compression::Zstd => Box::new(ZstdReader::Pending(Some(reader))),
        Compression::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(reader)),
        method => {
            return Err(UnsupportedCompression {
                method,
                direction: "reading",
            });
        }
    })
}

/// A zstd decoder made on first read, so that making it cannot fail at
/// [`decompress`] time.
enum ZstdReader<'a, R: Read> {
    Pending(Option<R>),
    Ready(zstd::stream::read::Decoder<'a, io::BufReader<R>>),
}

impl<R: Read> Read for ZstdReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let ZstdReader::Pending(reader) = self {
            let reader = reader
                .take()
                .ok_or_else(|| io::Error::other("zstd decoder failed to start"))?;
            *self = ZstdReader::Ready(zstd::stream::read::Decoder::new(reader)?);
        }
        match self {
            ZstdReader::Ready(decoder) => decoder.read(buf),
            ZstdReader::Pending(_) => Err(io::Error::other("zstd decoder failed to start")),
        }
    }
}

/// A writer that compresses into `W`; call [`Compressor::finish`] to
/// write the trailer and get `W` back.
pub enum Compressor<W: Write> {
    /// No compression.
    None(W),
    /// xz, preset 6.
    Xz(liblzma::write::XzEncoder<W>),
    /// zstd, level 3.
    Zstd(zstd::stream::write::Encoder<'static, W>),
    /// bzip2, level 9.
    Bzip2(bzip2::write::BzEncoder<W>),
}

impl<W: Write> Compressor<W> {
    /// Starts compressing into `writer` with `method`.
    pub fn new(method: Compression, writer: W) -> Result<Self, CompressorError> {
        Ok(match method {
            Compression::None => Compressor::None(writer),
            Compression::Xz => Compressor::Xz(liblzma::write::XzEncoder::new(writer, XZ_PRESET)),
            Compression::Zstd => Compressor::Zstd(
                zstd::stream::write::Encoder::new(writer, ZSTD_LEVEL)
                    .map_err(CompressorError::Io)?,
            ),
            Compression::Bzip2 => Compressor::Bzip2(bzip2::write::BzEncoder::new(
                writer,
                bzip2::Compression::best(),
            )),
            method => {
                return Err(CompressorError::Unsupported(UnsupportedCompression {
                    method,
                    direction: "writing",
                }));
            }
        })
    }

    /// Writes the end of the compressed stream and returns the writer.
    pub fn finish(self) -> io::Result<W> {
        match self {
            Compressor::None(w) => Ok(w),
            Compressor::Xz(e) => e.finish(),
            Compressor::Zstd(e) => e.finish(),
            Compressor::Bzip2(e) => e.finish(),
        }
    }
}

/// Why a compressor could not start.
#[derive(Debug, Error)]
pub enum CompressorError {
    /// The method cannot be written.
    #[error(transparent)]
    Unsupported(#[from] UnsupportedCompression),
    /// The compression library failed to start.
    #[error("starting the compressor: {0}")]
    Io(#[source] io::Error),
}

impl<W: Write> Write for Compressor<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Compressor::None(w) => w.write(buf),
            Compressor::Xz(e) => e.write(buf),
            Compressor::Zstd(e) => e.write(buf),
            Compressor::Bzip2(e) => e.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Compressor::None(w) => w.flush(),
            Compressor::Xz(e) => e.flush(),
            Compressor::Zstd(e) => e.flush(),
            Compressor::Bzip2(e) => e.flush(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_writable_method_round_trips() {
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        for method in [
            Compression::None,
            Compression::Xz,
            Compression::Zstd,
            Compression::Bzip2,
        ] {
            let mut c = Compressor::new(method, Vec::new()).unwrap();
            c.write_all(&data).unwrap();
            let packed = c.finish().unwrap();
            if method != Compression::None {
                assert!(packed.len() < data.len() / 4, "{method}");
            }
            let mut out = Vec::new();
            decompress(method, &packed[..])
                .unwrap()
                .read_to_end(&mut out)
                .unwrap();
            assert_eq!(out, data, "{method}");
        }
    }

    #[test]
    fn unsupported_methods_are_named() {
        let err = decompress(Compression::Brotli, &b""[..]).err().unwrap();
        assert_eq!(
            err.to_string(),
            "br compression is not supported for reading (supported: none, xz, zstd, bzip2)"
        );
        assert!(Compressor::new(Compression::Lz4, Vec::new()).is_err());
    }

    #[test]
    fn corrupt_input_is_an_error_not_garbage() {
        for method in [Compression::Xz, Compression::Zstd, Compression::Bzip2] {
            let mut out = Vec::new();
            let r = decompress(method, &b"definitely not compressed data"[..])
                .unwrap()
                .read_to_end(&mut out);
            assert!(r.is_err(), "{method}");
        }
    }
}
