//! `.narinfo` files: what a binary cache says about one store path.
//!
//! A narinfo is a list of `Key: value` lines. [`NarInfo::parse`] reads every
//! field Nix reads and [`NarInfo`]'s `Display` writes them in Nix's order and
//! format (`NarInfo::to_string` in Nix), so a narinfo written by Nix parses
//! and prints back byte for byte:
//!
//! ```text
//! StorePath: /nix/store/<hash>-<name>
//! URL: nar/<filehash>.nar.xz
//! Compression: xz
//! FileHash: sha256:<nixbase32>
//! FileSize: <bytes>
//! NarHash: sha256:<nixbase32>
//! NarSize: <bytes>
//! References: <base name> <base name> …
//! Deriver: <base name>.drv
//! System: x86_64-linux
//! Sig: <key name>:<base64>
//! CA: fixed:r:sha256:<nixbase32>
//! ```
//!
//! Parsing is stricter than Nix where Nix's leniency only hides corruption
//! (duplicate fields, a missing `: `, a sign before a number, a malformed
//! `Sig`, an unknown `Compression`); it is as lenient as Nix where caches in
//! the wild rely on it: unknown keys are skipped, `Compression` defaults to `bzip2`, `Deriver: unknown-deriver`
//! means no deriver, and hashes may be in any encoding Nix accepts.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use cairn_store::content_address::{ContentAddress, ContentAddressError};
use cairn_store::hash::{Hash, HashError};
use cairn_store::path::{PathError, StoreDir, StorePath};
use thiserror::Error;

use crate::keys::SecretKey;
use crate::signature::{Signature, SignatureError, fingerprint};

/// How the NAR file at [`NarInfo::url`] is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Compression {
    /// `none`: the file is the NAR itself.
    None,
    /// `xz` (Nix's default for `nix copy`).
    Xz,
    /// `bzip2` (the default when a narinfo has no `Compression` line).
    Bzip2,
    /// `gzip`.
    Gzip,
    /// `zstd`.
    Zstd,
    /// `br` (Brotli).
    Brotli,
    /// `lz4`.
    Lz4,
    /// `lzip`.
    Lzip,
}

impl Compression {
    /// Every method, in declaration order.
    pub const ALL: [Compression; 8] = [
        Self::None,
        Self::Xz,
        Self::Bzip2,
        Self::Gzip,
        Self::Zstd,
        Self::Brotli,
        Self::Lz4,
        Self::Lzip,
    ];

    /// The name used in narinfos and in Nix's `compression=` store setting.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Xz => "xz",
            Self::Bzip2 => "bzip2",
            Self::Gzip => "gzip",
            Self::Zstd => "zstd",
            Self::Brotli => "br",
            Self::Lz4 => "lz4",
            Self::Lzip => "lzip",
        }
    }
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown compression method name.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown compression method '{0}' (expected none, xz, bzip2, gzip, zstd, br, lz4 or lzip)")]
pub struct UnknownCompression(pub String);

impl FromStr for Compression {
    type Err = UnknownCompression;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| UnknownCompression(s.to_owned()))
    }
}

/// Everything a binary cache says about one store path.
///
/// The fields hold only valid values, except that [`url`](Self::url) and
/// [`system`](Self::system) must not contain newlines and `url` must not be
/// empty: [`NarInfo::parse`] guarantees this, code that builds a `NarInfo`
/// by hand must keep it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NarInfo {
    /// The store directory the paths live in (`/nix/store`).
    pub store_dir: StoreDir,
    /// `StorePath`: the path described.
    pub store_path: StorePath,
    /// `URL`: where the (compressed) NAR is, relative to the cache root.
    pub url: String,
    /// `Compression`: how the file at `url` is compressed.
    pub compression: Compression,
    /// `FileHash`: hash of the file at `url`.
    pub file_hash: Option<Hash>,
    /// `FileSize`: size of the file at `url`.
    pub file_size: Option<u64>,
    /// `NarHash`: hash of the uncompressed NAR.
    pub nar_hash: Hash,
    /// `NarSize`: size of the uncompressed NAR (never 0 in a parsed narinfo).
    pub nar_size: u64,
    /// `References`: the store paths this path refers to (possibly itself).
    pub references: BTreeSet<StorePath>,
    /// `Deriver`: the derivation that built the path, if known.
    pub deriver: Option<StorePath>,
    /// `System`: the platform the path was built for, if given.
    pub system: Option<String>,
    /// `Sig`: signatures over [`NarInfo::fingerprint`], in Nix's (text) order.
    pub signatures: BTreeSet<Signature>,
    /// `CA`: the content address, for content-addressed paths.
    pub ca: Option<ContentAddress>,
}

/// What is wrong with one line of a narinfo.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LineError {
    /// The line is empty.
    #[error("empty line")]
    Empty,
    /// The last line has no final newline (Nix rejects this too).
    #[error("the last line does not end with a newline")]
    MissingNewline,
    /// The line has no `: ` between key and value.
    #[error("expected 'Key: value', found '{0}'")]
    MissingSeparator(String),
    /// A field that may appear once appears again.
    #[error("duplicate field '{0}'")]
    Duplicate(&'static str),
    /// A hash field does not hold a hash with its algorithm prefix.
    #[error("bad {field}: {source}")]
    BadHash {
        /// `NarHash` or `FileHash`.
        field: &'static str,
        /// Why the hash is invalid.
        source: HashError,
    },
    /// A size field is not a decimal number.
    #[error("bad {field}: '{value}' is not a non-negative decimal integer")]
    BadNumber {
        /// `NarSize` or `FileSize`.
        field: &'static str,
        /// The value found.
        value: String,
    },
    /// `NarSize: 0`: a NAR is never empty.
    #[error("bad NarSize: 0 (a NAR is never empty)")]
    ZeroNarSize,
    /// `URL` is empty.
    #[error("URL is empty")]
    EmptyUrl,
    /// A store path field is invalid or outside the store directory.
    #[error("bad {field}: {source}")]
    BadPath {
        /// `StorePath`, `References` or `Deriver`.
        field: &'static str,
        /// Why the path is invalid.
        source: PathError,
    },
    /// A reference is given as a full path instead of a base name.
    #[error(
        "bad References: '{0}' is not a base name; references are '<hash>-<name>' \
         in the store directory of StorePath"
    )]
    ReferenceNotBaseName(String),
    /// `Compression` names an unknown method.
    #[error("bad Compression: {0}")]
    BadCompression(#[from] UnknownCompression),
    /// `Sig` is not a valid signature.
    #[error("bad Sig: {0}")]
    BadSignature(#[from] SignatureError),
    /// `CA` is not a valid content address.
    #[error("bad CA: {0}")]
    BadContentAddress(#[from] ContentAddressError),
}

/// Why a narinfo could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NarInfoError {
    /// A line is malformed.
    #[error("narinfo line {line}: {error}")]
    Line {
        /// The line number, starting at 1.
        line: usize,
        /// What is wrong with it.
        error: LineError,
    },
    /// A mandatory field is absent.
    #[error("narinfo has no {0} field (StorePath, URL, NarHash and NarSize are mandatory)")]
    Missing(&'static str),
}

/// The fields that may appear at most once, in output order.
const SINGLE_FIELDS: [&str; 11] = [
    "StorePath",
    "URL",
    "Compression",
    "FileHash",
    "FileSize",
    "NarHash",
    "NarSize",
    "References",
    "Deriver",
    "System",
    "CA",
];

impl NarInfo {
    /// The narinfo of the valid local path `info` describes, whose NAR is
    /// at `url` with `compression` (file hash and size not known yet).
    /// The path's own signatures are kept, those that parse; a key may add
    /// one with [`sign`](Self::sign).
    pub fn of_local_path(
        store_dir: StoreDir,
        info: cairn_store::path_info::PathInfo,
        url: String,
        compression: Compression,
    ) -> NarInfo {
        let signatures = info
            .signatures
            .iter()
            .filter_map(|s| s.parse().ok())
            .collect();
        NarInfo {
            store_dir,
            store_path: info.path,
            url,
            compression,
            file_hash: None,
            file_size: None,
            nar_hash: info.nar_hash,
            nar_size: info.nar_size,
            references: info.references,
            deriver: info.deriver,
            system: None,
            signatures,
            ca: info.ca,
        }
    }

    /// Parses a narinfo whose paths live in `store_dir`.
    ///
    /// `StorePath`, `URL`, `NarHash` and `NarSize` are mandatory; every
    /// other field is optional and unknown fields are skipped, as in Nix.
    pub fn parse(store_dir: &StoreDir, text: &str) -> Result<Self, NarInfoError> {
        let mut builder = Builder::default();
        let mut rest = text;
        let mut line_no = 0;
        while !rest.is_empty() {
            line_no += 1;
            let at = |error| NarInfoError::Line {
                line: line_no,
                error,
            };
            let (line, after) = rest
                .split_once('\n')
                .ok_or_else(|| at(LineError::MissingNewline))?;
            rest = after;
            builder.line(store_dir, line).map_err(at)?;
        }
        builder.finish(store_dir.clone())
    }

    /// The text Nix signs for this path (see [`fingerprint`]).
    pub fn fingerprint(&self) -> String {
        fingerprint(
            &self.store_dir,
            &self.store_path,
            &self.nar_hash,
            self.nar_size,
            &self.references,
        )
    }

    /// Signs the path with `key` and adds the signature, like
    /// `nix copy --to 'file://…?secret-key=…'`. Returns the signature.
    pub fn sign(&mut self, key: &SecretKey) -> Signature {
        let signature = key.sign(self.fingerprint().as_bytes());
        self.signatures.insert(signature.clone());
        signature
    }
}

/// Writes the narinfo exactly as Nix does.
impl fmt::Display for NarInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "StorePath: {}",
            self.store_dir.display_path(&self.store_path)
        )?;
        writeln!(f, "URL: {}", self.url)?;
        writeln!(f, "Compression: {}", self.compression)?;
        if let Some(hash) = &self.file_hash {
            writeln!(f, "FileHash: {hash}")?;
        }
        if let Some(size) = self.file_size {
            writeln!(f, "FileSize: {size}")?;
        }
        writeln!(f, "NarHash: {}", self.nar_hash)?;
        writeln!(f, "NarSize: {}", self.nar_size)?;
        // With no references Nix writes "References: " (trailing space).
        f.write_str("References: ")?;
        for (i, reference) in self.references.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{reference}")?;
        }
        f.write_str("\n")?;
        if let Some(deriver) = &self.deriver {
            writeln!(f, "Deriver: {deriver}")?;
        }
        if let Some(system) = &self.system {
            writeln!(f, "System: {system}")?;
        }
        for sig in &self.signatures {
            writeln!(f, "Sig: {sig}")?;
        }
        if let Some(ca) = &self.ca {
            writeln!(f, "CA: {ca}")?;
        }
        Ok(())
    }
}

/// The fields seen so far.
#[derive(Default)]
struct Builder {
    seen: [bool; SINGLE_FIELDS.len()],
    store_path: Option<StorePath>,
    url: Option<String>,
    compression: Option<Compression>,
    file_hash: Option<Hash>,
    file_size: Option<u64>,
    nar_hash: Option<Hash>,
    nar_size: Option<u64>,
    references: BTreeSet<StorePath>,
    deriver: Option<StorePath>,
    system: Option<String>,
    signatures: BTreeSet<Signature>,
    ca: Option<ContentAddress>,
}

impl Builder {
    fn line(&mut self, store_dir: &StoreDir, line: &str) -> Result<(), LineError> {
        if line.is_empty() {
            return Err(LineError::Empty);
        }
        let (key, value) = line
            .split_once(": ")
            .filter(|(key, _)| !key.is_empty() && !key.contains(char::is_whitespace))
            .ok_or_else(|| LineError::MissingSeparator(line.to_owned()))?;
        if key == "Sig" {
            self.signatures.insert(value.parse()?);
            return Ok(());
        }
        let Some(index) = SINGLE_FIELDS.iter().position(|f| *f == key) else {
            // Unknown fields are skipped, as Nix does, so newer caches still work.
            return Ok(());
        };
        let field = SINGLE_FIELDS[index];
        if std::mem::replace(&mut self.seen[index], true) {
            return Err(LineError::Duplicate(field));
        }
        let bad_path = |source| LineError::BadPath { field, source };
        match field {
            "StorePath" => self.store_path = Some(store_dir.parse_path(value).map_err(bad_path)?),
            "URL" if value.is_empty() => return Err(LineError::EmptyUrl),
            "URL" => self.url = Some(value.to_owned()),
            "Compression" => self.compression = Some(value.parse()?),
            "FileHash" => self.file_hash = Some(parse_hash(field, value)?),
            "FileSize" => self.file_size = Some(parse_number(field, value)?),
            "NarHash" => self.nar_hash = Some(parse_hash(field, value)?),
            "NarSize" => match parse_number(field, value)? {
                0 => return Err(LineError::ZeroNarSize),
                n => self.nar_size = Some(n),
            },
            "References" => {
                for reference in value.split(' ').filter(|r| !r.is_empty()) {
                    if reference.contains('/') {
                        return Err(LineError::ReferenceNotBaseName(reference.to_owned()));
                    }
                    self.references
                        .insert(StorePath::from_base_name(reference).map_err(bad_path)?);
                }
            }
            "Deriver" if value == "unknown-deriver" => {}
            "Deriver" => self.deriver = Some(StorePath::from_base_name(value).map_err(bad_path)?),
            // Nix treats an empty System or CA as absent.
            "System" if value.is_empty() => {}
            "System" => self.system = Some(value.to_owned()),
            "CA" if value.is_empty() => {}
            "CA" => self.ca = Some(value.parse()?),
            _ => {}
        }
        Ok(())
    }

    fn finish(self, store_dir: StoreDir) -> Result<NarInfo, NarInfoError> {
        Ok(NarInfo {
            store_dir,
            store_path: self.store_path.ok_or(NarInfoError::Missing("StorePath"))?,
            url: self.url.ok_or(NarInfoError::Missing("URL"))?,
            compression: self.compression.unwrap_or(Compression::Bzip2),
            file_hash: self.file_hash,
            file_size: self.file_size,
            nar_hash: self.nar_hash.ok_or(NarInfoError::Missing("NarHash"))?,
            nar_size: self.nar_size.ok_or(NarInfoError::Missing("NarSize"))?,
            references: self.references,
            deriver: self.deriver,
            system: self.system,
            signatures: self.signatures,
            ca: self.ca,
        })
    }
}

/// Parses a hash that names its algorithm (`sha256:…` or SRI), as Nix's
/// `Hash::parseAnyPrefixed` does.
fn parse_hash(field: &'static str, value: &str) -> Result<Hash, LineError> {
    Hash::parse(value, None).map_err(|source| LineError::BadHash { field, source })
}

/// Parses a decimal `u64`: digits only, no sign, no spaces.
fn parse_number(field: &'static str, value: &str) -> Result<u64, LineError> {
    let bad = || LineError::BadNumber {
        field,
        value: value.to_owned(),
    };
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    value.parse().map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::PublicKey;
    use crate::signature::TrustedKeys;

    /// Written by `nix copy --to 'file://…?compression=xz&secret-key=…'` (Nix 2.8)
    /// for a derivation output with a self-reference and a deriver.
    const E: &str = "\
StorePath: /nix/store/2y2mixjdpy6pw119sqlwf9b3vpij8s18-e
URL: nar/0zanvcj3s0fkcd983v362bi3kq8d7yr7h51fvv4cmbnvqapwaf98.nar.xz
Compression: xz
FileHash: sha256:0zanvcj3s0fkcd983v362bi3kq8d7yr7h51fvv4cmbnvqapwaf98
FileSize: 204
NarHash: sha256:1jnrxvnfn8pmqfafpwmzlhq0lg93blffc3rdn6jmmf27h0plqvrl
NarSize: 208
References: 2y2mixjdpy6pw119sqlwf9b3vpij8s18-e rdra7rh01cpim2kx5l5w1flx4m85wszy-d
Deriver: if7dnl6v83gx57508rmls865ia429ggh-e.drv
Sig: test-1:y8mY77+2vtCK5AGhLFe89ibmjMQfmOuAVd4IxoKcVjY2CTMRV2t7BK3vNi8LBX1fh/77nW+u5L04y4cJ+NeIDw==
";

    /// A fixed-output path without references (same cache).
    const F: &str = "\
StorePath: /nix/store/1p9q0bz6f22dyxh4lw8xs08p4201vyq4-f
URL: nar/17gd6zzlkx90irc6qawagdkgh1d7qvlnq46yjf7xiqw9ycz7zq4a.nar.xz
Compression: xz
FileHash: sha256:17gd6zzlkx90irc6qawagdkgh1d7qvlnq46yjf7xiqw9ycz7zq4a
FileSize: 128
NarHash: sha256:04zwf782yjwnh3q6hz5izfd6jyip8kgw6g6yj43fiqhbyhdd0dqw
NarSize: 120
References: 
Deriver: v05va8cmwa1hqm2rfp2sqhh0k57h379g-f.drv
Sig: test-1:Jxo/8mTvFm/kaa3YWoDO8ZWAaOKWOeTs2BJmAUKl00e3WBydcpmvKlYRP5+APnSLsouUz2ngorIXryXdme+LCA==
CA: fixed:sha256:00xyyr3fi8l6hb839bv3f7yb86yjv7xi1cgh1xnhipym4asvb4aq
";

    const NIX_PUBLIC: &str = "test-1:zWv1zGAQVxVhjlyp6llhjJJdA8WUSTruWDOuKj4pUiA=";

    fn parse(text: &str) -> Result<NarInfo, NarInfoError> {
        NarInfo::parse(&StoreDir::default(), text)
    }

    fn line_error(text: &str) -> (usize, LineError) {
        match parse(text) {
            Err(NarInfoError::Line { line, error }) => (line, error),
            other => panic!("expected a line error, got {other:?}"),
        }
    }

    #[test]
    fn nix_narinfos_round_trip_byte_for_byte() {
        for text in [E, F] {
            let info = parse(text).unwrap();
            assert_eq!(info.to_string(), text);
        }
    }

    #[test]
    fn fields_are_parsed() {
        let info = parse(E).unwrap();
        assert_eq!(
            info.store_path.to_string(),
            "2y2mixjdpy6pw119sqlwf9b3vpij8s18-e"
        );
        assert_eq!(info.compression, Compression::Xz);
        assert_eq!(info.file_size, Some(204));
        assert_eq!(info.nar_size, 208);
        assert_eq!(info.references.len(), 2);
        assert!(info.references.contains(&info.store_path));
        assert_eq!(
            info.deriver.as_ref().map(ToString::to_string).as_deref(),
            Some("if7dnl6v83gx57508rmls865ia429ggh-e.drv")
        );
        assert_eq!(info.ca, None);
        let f = parse(F).unwrap();
        assert!(f.references.is_empty());
        assert_eq!(
            f.ca.map(|ca| ca.to_string()).as_deref(),
            Some("fixed:sha256:00xyyr3fi8l6hb839bv3f7yb86yjv7xi1cgh1xnhipym4asvb4aq")
        );
    }

    #[test]
    fn nix_signatures_verify() {
        let keys = TrustedKeys::parse([NIX_PUBLIC]).unwrap();
        for text in [E, F] {
            let info = parse(text).unwrap();
            let sig = keys.verify_narinfo(&info).unwrap();
            assert_eq!(sig.key_name(), "test-1");
        }
    }

    #[test]
    fn tampered_narinfo_fails_verification() {
        let keys = TrustedKeys::parse([NIX_PUBLIC]).unwrap();
        let mut info = parse(E).unwrap();
        info.nar_size += 1;
        assert_eq!(
            keys.verify_narinfo(&info),
            Err(crate::signature::VerifyError::BadSignature {
                path: "/nix/store/2y2mixjdpy6pw119sqlwf9b3vpij8s18-e".into(),
                key_names: vec!["test-1".into()],
            })
        );
        let other =
            TrustedKeys::parse(["other-1:zWv1zGAQVxVhjlyp6llhjJJdA8WUSTruWDOuKj4pUiA="]).unwrap();
        assert!(matches!(
            other.verify_narinfo(&parse(E).unwrap()),
            Err(crate::signature::VerifyError::NoTrustedSigner { .. })
        ));
        info.signatures.clear();
        assert!(matches!(
            keys.verify_narinfo(&info),
            Err(crate::signature::VerifyError::Unsigned { .. })
        ));
    }

    #[test]
    fn signing_reproduces_nix_signature() {
        let key: SecretKey = "test-1:pi8c1zcBDcwDWNa7bvdK8YRxyDY88QQ8WkODVM47Ub/Na/XMYBBXFWGOXKnqWWGMkl0DxZRJOu5YM64qPilSIA==".parse().unwrap();
        let mut info = parse(E).unwrap();
        let nix_sigs = std::mem::take(&mut info.signatures);
        info.sign(&key);
        assert_eq!(info.signatures, nix_sigs);
        let public: PublicKey = NIX_PUBLIC.parse().unwrap();
        assert_eq!(public, key.to_public());
    }

    #[test]
    fn lenient_where_nix_is() {
        // No Compression (defaults to bzip2), SRI hash, unknown-deriver,
        // unknown field, extra spaces between references, empty System/CA.
        let text = "StorePath: /nix/store/2y2mixjdpy6pw119sqlwf9b3vpij8s18-e\n\
                    URL: nar/x.nar.bz2\n\
                    NarHash: sha256-NG9ML4BHuFqlsS0P5hxdIz0KMKS/8uuUw/Ui6+zu2co=\n\
                    NarSize: 208\n\
                    References:  rdra7rh01cpim2kx5l5w1flx4m85wszy-d  \n\
                    Deriver: unknown-deriver\n\
                    System: \n\
                    CA: \n\
                    FutureField: whatever\n";
        let info = parse(text).unwrap();
        assert_eq!(info.compression, Compression::Bzip2);
        assert_eq!(info.deriver, None);
        assert_eq!(info.system, None);
        assert_eq!(info.ca, None);
        assert_eq!(info.references.len(), 1);
        assert_eq!(
            info.to_string(),
            "StorePath: /nix/store/2y2mixjdpy6pw119sqlwf9b3vpij8s18-e\n\
             URL: nar/x.nar.bz2\n\
             Compression: bzip2\n\
             NarHash: sha256:1jnrxvnfn8pmqfafpwmzlhq0lg93blffc3rdn6jmmf27h0plqvrl\n\
             NarSize: 208\n\
             References: rdra7rh01cpim2kx5l5w1flx4m85wszy-d\n"
        );
    }

    #[test]
    fn missing_mandatory_fields() {
        let without = |field: &str| -> String {
            E.lines()
                .filter(|l| !l.starts_with(&format!("{field}:")))
                .map(|l| format!("{l}\n"))
                .collect()
        };
        for field in ["StorePath", "URL", "NarHash", "NarSize"] {
            assert_eq!(
                parse(&without(field)),
                Err(NarInfoError::Missing(match field {
                    "StorePath" => "StorePath",
                    "URL" => "URL",
                    "NarHash" => "NarHash",
                    _ => "NarSize",
                })),
                "{field}"
            );
        }
        // Optional ones may go.
        for field in [
            "Compression",
            "FileHash",
            "FileSize",
            "References",
            "Deriver",
            "Sig",
        ] {
            parse(&without(field)).unwrap();
        }
    }

    #[test]
    fn malformed_lines_are_reported_with_their_number() {
        let replace = |from: &str, to: &str| E.replacen(from, to, 1);
        assert_eq!(
            line_error(&replace("NarSize: 208", "NarSize: +208")),
            (
                7,
                LineError::BadNumber {
                    field: "NarSize",
                    value: "+208".into()
                }
            )
        );
        assert_eq!(
            line_error(&replace("NarSize: 208", "NarSize: 0")),
            (7, LineError::ZeroNarSize)
        );
        assert_eq!(line_error(&replace("FileSize: 204", "FileSize: 20 4")).0, 5);
        assert!(matches!(
            line_error(&replace("NarHash: sha256:1", "NarHash: sha256:!")),
            (
                6,
                LineError::BadHash {
                    field: "NarHash",
                    ..
                }
            )
        ));
        // A hash without its algorithm is rejected, as in Nix.
        assert!(matches!(
            line_error(&replace("NarHash: sha256:", "NarHash: ")),
            (6, LineError::BadHash { .. })
        ));
        assert!(matches!(
            line_error(&replace("StorePath: /nix/store/", "StorePath: /gnu/store/")),
            (
                1,
                LineError::BadPath {
                    field: "StorePath",
                    source: PathError::NotInStore { .. }
                }
            )
        ));
        assert_eq!(
            line_error(&replace("References: 2y2m", "References: /nix/store/2y2m")),
            (
                8,
                LineError::ReferenceNotBaseName(
                    "/nix/store/2y2mixjdpy6pw119sqlwf9b3vpij8s18-e".into()
                )
            )
        );
        assert!(matches!(
            line_error(&replace("Deriver: if7", "Deriver: !f7")),
            (
                9,
                LineError::BadPath {
                    field: "Deriver",
                    ..
                }
            )
        ));
        assert_eq!(
            line_error(&replace("Compression: xz", "Compression: rar")),
            (
                3,
                LineError::BadCompression(UnknownCompression("rar".into()))
            )
        );
        assert!(matches!(
            line_error(&replace("Sig: test-1:", "Sig: test-1")),
            (10, LineError::BadSignature(SignatureError::MissingColon(_)))
        ));
        assert!(matches!(
            line_error(&format!("{F}CA: text:sha256:0\n")),
            (12, LineError::Duplicate("CA"))
        ));
        assert_eq!(
            line_error(&format!("{E}URL: other\n")),
            (11, LineError::Duplicate("URL"))
        );
        assert_eq!(
            line_error(&replace("URL: nar/", "URL:nar/")),
            (
                2,
                LineError::MissingSeparator(
                    "URL:nar/0zanvcj3s0fkcd983v362bi3kq8d7yr7h51fvv4cmbnvqapwaf98.nar.xz".into()
                )
            )
        );
        assert_eq!(
            line_error(&replace("\nURL", "\n\nURL")),
            (2, LineError::Empty)
        );
        assert_eq!(line_error(E.trim_end()), (10, LineError::MissingNewline));
        assert!(matches!(
            line_error(&F.replacen("CA: fixed:", "CA: fixed", 1)),
            (11, LineError::BadContentAddress(_))
        ));
        assert_eq!(line_error("URL: \n"), (1, LineError::EmptyUrl));
    }

    #[test]
    fn error_messages() {
        let err = parse(&E.replacen("NarSize: 208", "NarSize: x", 1)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "narinfo line 7: bad NarSize: 'x' is not a non-negative decimal integer"
        );
        assert_eq!(
            parse("").unwrap_err().to_string(),
            "narinfo has no StorePath field (StorePath, URL, NarHash and NarSize are mandatory)"
        );
    }

    #[test]
    fn other_store_dirs() {
        let dir = StoreDir::new("/tmp/store").unwrap();
        let text = E.replace("/nix/store/", "/tmp/store/");
        let info = NarInfo::parse(&dir, &text).unwrap();
        assert_eq!(info.to_string(), text);
        assert!(info.fingerprint().starts_with("1;/tmp/store/2y2m"));
        assert!(parse(&text).is_err());
    }
}
