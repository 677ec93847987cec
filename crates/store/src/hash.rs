//! Hash algorithms and hash values as Nix prints and parses them.
//!
//! A [`Hash`] is an algorithm plus its digest. It prints in every form Nix
//! uses (base16, nixbase32, base64, SRI) and [`Hash::parse`] accepts every
//! form Nix's `Hash::parseAny` accepts.

use std::fmt;
use std::io;
use std::str::FromStr;
use std::sync::mpsc;

use data_encoding::{BASE64, HEXLOWER_PERMISSIVE};
use sha2::Digest;
use thiserror::Error;

use crate::nixbase32;

/// The largest digest size of any supported algorithm (SHA-512).
const MAX_DIGEST: usize = 64;

/// A hash algorithm Nix supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HashAlgo {
    /// MD5 (16 bytes).
    Md5,
    /// SHA-1 (20 bytes).
    Sha1,
    /// SHA-256 (32 bytes).
    Sha256,
    /// SHA-512 (64 bytes).
    Sha512,
}

impl HashAlgo {
    /// All algorithms, in Nix's order.
    pub const ALL: [HashAlgo; 4] = [Self::Md5, Self::Sha1, Self::Sha256, Self::Sha512];

    /// The digest size in bytes.
    pub const fn size(self) -> usize {
        match self {
            Self::Md5 => 16,
            Self::Sha1 => 20,
            Self::Sha256 => 32,
            Self::Sha512 => 64,
        }
    }

    /// The name Nix uses: `md5`, `sha1`, `sha256` or `sha512`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Md5 => "md5",
            Self::Sha1 => "sha1",
            Self::Sha256 => "sha256",
            Self::Sha512 => "sha512",
        }
    }

    /// Length of the lowercase hexadecimal form.
    pub const fn base16_len(self) -> usize {
        self.size() * 2
    }

    /// Length of the nixbase32 form.
    pub const fn base32_len(self) -> usize {
        nixbase32::encoded_len(self.size())
    }

    /// Length of the (padded) base64 form.
    pub const fn base64_len(self) -> usize {
        self.size().div_ceil(3) * 4
    }
}

impl fmt::Display for HashAlgo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for HashAlgo {
    type Err = HashError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "md5" => Ok(Self::Md5),
            "sha1" => Ok(Self::Sha1),
            "sha256" => Ok(Self::Sha256),
            "sha512" => Ok(Self::Sha512),
            _ => Err(HashError::UnknownAlgo(s.to_owned())),
        }
    }
}

/// Why a hash string could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HashError {
    /// The algorithm name is not one of `md5`, `sha1`, `sha256`, `sha512`.
    #[error("unknown hash algorithm '{0}' (expected md5, sha1, sha256 or sha512)")]
    UnknownAlgo(String),
    /// The string names no algorithm and the caller did not supply one.
    #[error("hash '{0}' does not include a type, nor is the type otherwise known from context")]
    MissingAlgo(String),
    /// The string names a different algorithm than the caller expected.
    #[error("hash '{hash}' should have type '{expected}', not '{found}'")]
    AlgoMismatch {
        /// The input.
        hash: String,
        /// The algorithm the caller expected.
        expected: HashAlgo,
        /// The algorithm the string names.
        found: HashAlgo,
    },
    /// The digest part has a length that matches no encoding of this algorithm.
    #[error(
        "hash '{hash}' has wrong length {len} for hash type '{algo}' \
         (expected {} (base16), {} (base32) or {} (base64))",
        algo.base16_len(), algo.base32_len(), algo.base64_len()
    )]
    WrongLength {
        /// The digest part of the input.
        hash: String,
        /// Its length.
        len: usize,
        /// The algorithm.
        algo: HashAlgo,
    },
    /// The digest part is not valid in the encoding its length implies.
    #[error("invalid {encoding} hash '{hash}'")]
    BadEncoding {
        /// `base16`, `base32`, `base64` or `SRI`.
        encoding: &'static str,
        /// The digest part of the input.
        hash: String,
    },
    /// A raw digest has the wrong number of bytes for the algorithm.
    #[error("digest of {len} bytes is not a valid {algo} digest ({} bytes)", algo.size())]
    WrongDigestSize {
        /// The algorithm.
        algo: HashAlgo,
        /// The digest length supplied.
        len: usize,
    },
}

/// A hash value: an algorithm and its digest.
///
/// Stored inline (no allocation); the bytes past the digest size are always zero,
/// so the derived comparisons are correct.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hash {
    algo: HashAlgo,
    bytes: [u8; MAX_DIGEST],
}

impl Hash {
    /// Builds a hash from a raw digest, which must have the algorithm's size.
    pub fn from_digest(algo: HashAlgo, digest: &[u8]) -> Result<Self, HashError> {
        if digest.len() != algo.size() {
            return Err(HashError::WrongDigestSize {
                algo,
                len: digest.len(),
            });
        }
        let mut bytes = [0u8; MAX_DIGEST];
        bytes[..digest.len()].copy_from_slice(digest);
        Ok(Self { algo, bytes })
    }

    /// Hashes `data` in one go.
    ///
    /// ```
    /// use cairn_store::hash::{Hash, HashAlgo};
    /// let h = Hash::of(HashAlgo::Sha256, b"");
    /// assert_eq!(h.to_nix_base32(), "0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73");
    /// ```
    pub fn of(algo: HashAlgo, data: &[u8]) -> Self {
        let mut h = Hasher::new(algo);
        h.update(data);
        h.finalize()
    }

    /// The algorithm.
    pub fn algo(&self) -> HashAlgo {
        self.algo
    }

    /// The digest bytes (exactly `algo().size()` of them).
    pub fn digest(&self) -> &[u8] {
        &self.bytes[..self.algo.size()]
    }

    /// Lowercase hexadecimal digest, without the algorithm prefix.
    pub fn to_base16(&self) -> String {
        data_encoding::HEXLOWER.encode(self.digest())
    }

    /// nixbase32 digest, without the algorithm prefix.
    pub fn to_nix_base32(&self) -> String {
        nixbase32::encode(self.digest())
    }

    /// Padded standard base64 digest, without the algorithm prefix.
    pub fn to_base64(&self) -> String {
        BASE64.encode(self.digest())
    }

    /// Subresource-integrity form: `sha256-<base64>`.
    pub fn to_sri(&self) -> String {
        format!("{}-{}", self.algo, self.to_base64())
    }

    /// `algo:base16`, the form Nix hashes into store paths.
    pub fn to_prefixed_base16(&self) -> String {
        format!("{}:{}", self.algo, self.to_base16())
    }

    /// Parses any hash form Nix accepts (Nix's `Hash::parseAny`):
    ///
    /// - SRI: `sha256-<base64>`;
    /// - prefixed: `sha256:<base16|nixbase32|base64>`;
    /// - bare `<base16|nixbase32|base64>` when `expected` gives the algorithm.
    ///
    /// The encoding of a non-SRI digest is chosen by its length, as Nix does.
    /// If both the string and `expected` name an algorithm, they must agree.
    ///
    /// ```
    /// use cairn_store::hash::{Hash, HashAlgo};
    /// let a = Hash::parse("sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", None).unwrap();
    /// let b = Hash::parse("0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73", Some(HashAlgo::Sha256)).unwrap();
    /// assert_eq!(a, b);
    /// ```
    pub fn parse(s: &str, expected: Option<HashAlgo>) -> Result<Self, HashError> {
        let (parsed_algo, rest, is_sri) = if let Some((algo, rest)) = s.split_once(':') {
            (Some(algo.parse::<HashAlgo>()?), rest, false)
        } else if let Some((algo, rest)) = s.split_once('-') {
            (Some(algo.parse::<HashAlgo>()?), rest, true)
        } else {
            (None, s, false)
        };
        let algo = match (parsed_algo, expected) {
            (None, None) => return Err(HashError::MissingAlgo(s.to_owned())),
            (Some(found), Some(expected)) if found != expected => {
                return Err(HashError::AlgoMismatch {
                    hash: s.to_owned(),
                    expected,
                    found,
                });
            }
            (Some(a), _) | (None, Some(a)) => a,
        };
        Self::parse_digest(rest, algo, is_sri)
    }

    /// Parses a bare digest in base16, nixbase32 or base64 (chosen by length),
    /// or in base64 only when `is_sri`.
    fn parse_digest(rest: &str, algo: HashAlgo, is_sri: bool) -> Result<Self, HashError> {
        let bad = |encoding| HashError::BadEncoding {
            encoding,
            hash: rest.to_owned(),
        };
        let len = rest.len();
        let digest = if !is_sri && len == algo.base16_len() {
            HEXLOWER_PERMISSIVE
                .decode(rest.as_bytes())
                .map_err(|_| bad("base16"))?
        } else if !is_sri && len == algo.base32_len() {
            nixbase32::decode(rest.as_bytes()).map_err(|_| bad("base32"))?
        } else if is_sri || len == algo.base64_len() {
            let encoding = if is_sri { "SRI" } else { "base64" };
            let d = BASE64.decode(rest.as_bytes()).map_err(|_| bad(encoding))?;
            if d.len() != algo.size() {
                return Err(bad(encoding));
            }
            d
        } else {
            return Err(HashError::WrongLength {
                hash: rest.to_owned(),
                len,
                algo,
            });
        };
        Self::from_digest(algo, &digest)
    }
}

/// Prints `algo:nixbase32`, Nix's default `Hash::to_string(Base32, true)`.
impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algo, self.to_nix_base32())
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({self})")
    }
}

/// Parses a hash that names its algorithm (SRI or `algo:digest`).
impl FromStr for Hash {
    type Err = HashError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s, None)
    }
}

/// XOR-folds `input` into `N` bytes, exactly as Nix's `compressHash`:
/// `out[i % N] ^= input[i]`.
///
/// ```
/// assert_eq!(cairn_store::hash::compress_hash::<2>(&[1, 2, 4, 8, 16]), [1 ^ 4 ^ 16, 2 ^ 8]);
/// ```
pub fn compress_hash<const N: usize>(input: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    for (i, b) in input.iter().enumerate() {
        out[i % N] ^= b;
    }
    out
}

/// A streaming hasher for any [`HashAlgo`]; also an [`io::Write`] sink.
#[derive(Clone)]
pub struct Hasher(Inner);

#[derive(Clone)]
enum Inner {
    Md5(md5::Md5),
    Sha1(sha1::Sha1),
    Sha256(sha2::Sha256),
    Sha512(sha2::Sha512),
}

impl Hasher {
    /// Starts a new hash computation.
    pub fn new(algo: HashAlgo) -> Self {
        Self(match algo {
            HashAlgo::Md5 => Inner::Md5(md5::Md5::new()),
            HashAlgo::Sha1 => Inner::Sha1(sha1::Sha1::new()),
            HashAlgo::Sha256 => Inner::Sha256(sha2::Sha256::new()),
            HashAlgo::Sha512 => Inner::Sha512(sha2::Sha512::new()),
        })
    }

    /// The algorithm being computed.
    pub fn algo(&self) -> HashAlgo {
        match self.0 {
            Inner::Md5(_) => HashAlgo::Md5,
            Inner::Sha1(_) => HashAlgo::Sha1,
            Inner::Sha256(_) => HashAlgo::Sha256,
            Inner::Sha512(_) => HashAlgo::Sha512,
        }
    }

    /// Feeds more data.
    #[inline]
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.0 {
            Inner::Md5(h) => h.update(data),
            Inner::Sha1(h) => h.update(data),
            Inner::Sha256(h) => h.update(data),
            Inner::Sha512(h) => h.update(data),
        }
    }

    /// Finishes the computation.
    pub fn finalize(self) -> Hash {
        let mut bytes = [0u8; MAX_DIGEST];
        let algo = self.algo();
        match self.0 {
            Inner::Md5(h) => bytes[..16].copy_from_slice(&h.finalize()),
            Inner::Sha1(h) => bytes[..20].copy_from_slice(&h.finalize()),
            Inner::Sha256(h) => bytes[..32].copy_from_slice(&h.finalize()),
            Inner::Sha512(h) => bytes[..64].copy_from_slice(&h.finalize()),
        }
        Hash { algo, bytes }
    }
}

impl io::Write for Hasher {
    #[inline]
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.update(buf);
        Ok(buf.len())
    }

    #[inline]
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.update(buf);
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Runs `produce` with a writer whose bytes are hashed with `algo` on a
/// second thread, and returns what `produce` returned with the hash and the
/// number of bytes written. Producing (reading files, say) and hashing then
/// overlap, so the whole runs at the speed of the slower of the two.
pub fn hash_in_background<T, E>(
    algo: HashAlgo,
    produce: impl FnOnce(&mut dyn io::Write) -> Result<T, E>,
) -> Result<(T, Hash, u64), E> {
    let (full_tx, full_rx) = mpsc::sync_channel::<Vec<u8>>(STREAM_BUFFERS);
    let (empty_tx, empty_rx) = mpsc::sync_channel::<Vec<u8>>(STREAM_BUFFERS);
    std::thread::scope(|scope| {
        let hashing = scope.spawn(move || {
            let mut hasher = Hasher::new(algo);
            let mut size = 0u64;
            for mut chunk in full_rx {
                hasher.update(&chunk);
                size += chunk.len() as u64;
                chunk.clear();
                // Handed back for reuse; dropped when enough are in flight.
                let _ = empty_tx.try_send(chunk);
            }
            (hasher.finalize(), size)
        });
        let mut stream = ChannelWriter {
            current: Vec::with_capacity(STREAM_CHUNK),
            full: Some(full_tx),
            empty: empty_rx,
        };
        let produced = produce(&mut stream);
        // The hashing thread outlives the sender only until it is dropped,
        // so a send cannot fail before this point.
        stream.finish();
        let (hash, size) = hashing
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        Ok((produced?, hash, size))
    })
}

/// Buffers in flight between the producing and the hashing thread.
const STREAM_BUFFERS: usize = 8;
/// Size of each buffer.
const STREAM_CHUNK: usize = 1 << 20;

/// A writer that hands full buffers to the hashing thread.
struct ChannelWriter {
    current: Vec<u8>,
    full: Option<mpsc::SyncSender<Vec<u8>>>,
    empty: mpsc::Receiver<Vec<u8>>,
}

impl ChannelWriter {
    fn send_current(&mut self) -> io::Result<()> {
        let next = self
            .empty
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(STREAM_CHUNK));
        let full = std::mem::replace(&mut self.current, next);
        match &self.full {
            Some(sender) => sender
                .send(full)
                .map_err(|_| io::Error::other("the hashing thread stopped")),
            None => Err(io::Error::other("the hash stream is closed")),
        }
    }

    /// Sends what is left and closes the stream.
    fn finish(&mut self) {
        if !self.current.is_empty() {
            let _ = self.send_current();
        }
        self.full = None;
    }
}

impl io::Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let room = STREAM_CHUNK - self.current.len();
        let taken = data.len().min(room);
        self.current.extend_from_slice(&data[..taken]);
        if self.current.len() == STREAM_CHUNK {
            self.send_current()?;
        }
        Ok(taken)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY_SHA256_HEX: &str =
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn known_digests() {
        // Values from `nix-hash --type T --flat` on an empty file and `printf abc`.
        assert_eq!(
            Hash::of(HashAlgo::Md5, b"abc").to_base16(),
            "900150983cd24fb0d6963f7d28e17f72"
        );
        assert_eq!(
            Hash::of(HashAlgo::Sha1, b"abc").to_base16(),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(
            Hash::of(HashAlgo::Sha256, b"").to_base16(),
            EMPTY_SHA256_HEX
        );
        assert_eq!(
            Hash::of(HashAlgo::Sha512, b"abc").to_base16(),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
             2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
        );
        let h = Hash::of(HashAlgo::Sha256, b"");
        assert_eq!(
            h.to_sri(),
            "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
        assert_eq!(
            h.to_string(),
            "sha256:0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73"
        );
    }

    #[test]
    fn parses_every_form() {
        let h = Hash::of(HashAlgo::Sha256, b"");
        let forms = [
            format!("sha256:{EMPTY_SHA256_HEX}"),
            format!("sha256:{}", EMPTY_SHA256_HEX.to_uppercase()),
            format!("sha256:{}", h.to_nix_base32()),
            format!("sha256:{}", h.to_base64()),
            h.to_sri(),
        ];
        for f in &forms {
            assert_eq!(Hash::parse(f, None).unwrap(), h, "{f}");
            assert_eq!(Hash::parse(f, Some(HashAlgo::Sha256)).unwrap(), h, "{f}");
        }
        for bare in [
            EMPTY_SHA256_HEX.to_owned(),
            h.to_nix_base32(),
            h.to_base64(),
        ] {
            assert_eq!(Hash::parse(&bare, Some(HashAlgo::Sha256)).unwrap(), h);
            assert_eq!(
                Hash::parse(&bare, None),
                Err(HashError::MissingAlgo(bare.clone()))
            );
        }
        for algo in HashAlgo::ALL {
            let h = Hash::of(algo, b"x");
            assert_eq!(Hash::parse(&h.to_string(), None).unwrap(), h);
            assert_eq!(Hash::parse(&h.to_sri(), None).unwrap(), h);
            assert_eq!(algo.to_string().parse::<HashAlgo>().unwrap(), algo);
        }
    }

    #[test]
    fn precise_errors() {
        assert_eq!(
            Hash::parse("sha3:abcd", None),
            Err(HashError::UnknownAlgo("sha3".into()))
        );
        assert!(matches!(
            Hash::parse(&format!("sha256:{EMPTY_SHA256_HEX}"), Some(HashAlgo::Sha1)),
            Err(HashError::AlgoMismatch {
                expected: HashAlgo::Sha1,
                found: HashAlgo::Sha256,
                ..
            })
        ));
        assert!(matches!(
            Hash::parse("sha256:abc", None),
            Err(HashError::WrongLength {
                len: 3,
                algo: HashAlgo::Sha256,
                ..
            })
        ));
        let bad_hex = format!("sha256:{}g", &EMPTY_SHA256_HEX[1..]);
        assert!(matches!(
            Hash::parse(&bad_hex, None),
            Err(HashError::BadEncoding {
                encoding: "base16",
                ..
            })
        ));
        let bad_b32 = format!("sha256:e{}", &"0".repeat(51));
        assert!(matches!(
            Hash::parse(&bad_b32, None),
            Err(HashError::BadEncoding {
                encoding: "base32",
                ..
            })
        ));
        // A valid SRI for the wrong digest size.
        let md5_sri = Hash::of(HashAlgo::Md5, b"").to_base64();
        assert!(matches!(
            Hash::parse(&format!("sha256-{md5_sri}"), None),
            Err(HashError::BadEncoding {
                encoding: "SRI",
                ..
            })
        ));
        assert!(matches!(
            Hash::from_digest(HashAlgo::Sha1, &[0; 3]),
            Err(HashError::WrongDigestSize { len: 3, .. })
        ));
    }

    #[test]
    fn streaming_equals_one_shot() {
        use std::io::Write;
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7) as u8).collect();
        for algo in HashAlgo::ALL {
            let mut h = Hasher::new(algo);
            for chunk in data.chunks(333) {
                h.write_all(chunk).unwrap();
            }
            assert_eq!(h.finalize(), Hash::of(algo, &data));
        }
    }

    #[test]
    fn compress_matches_nix() {
        // Every byte lands in slot i % 20; a 32-byte input folds 12 bytes twice.
        let input: Vec<u8> = (0..32).collect();
        let out = compress_hash::<20>(&input);
        for (i, &b) in out.iter().enumerate() {
            let expected = if i < 12 {
                i as u8 ^ (i as u8 + 20)
            } else {
                i as u8
            };
            assert_eq!(b, expected);
        }
    }

    #[test]
    fn hashing_in_the_background_equals_hashing_inline() {
        let data: Vec<u8> = (0..5_000_000u32).map(|i| (i % 251) as u8).collect();
        let ((), hash, size) = hash_in_background(HashAlgo::Sha256, |w| {
            // Uneven writes, crossing buffer boundaries.
            for chunk in data.chunks(77_777) {
                w.write_all(chunk)?;
            }
            Ok::<(), io::Error>(())
        })
        .unwrap();
        assert_eq!(hash, Hash::of(HashAlgo::Sha256, &data));
        assert_eq!(size, data.len() as u64);
        let failed: Result<((), Hash, u64), &str> =
            hash_in_background(HashAlgo::Md5, |_| Err("stop"));
        assert_eq!(failed.unwrap_err(), "stop");
    }
}
