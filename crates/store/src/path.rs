//! Store directories, store path names and store paths.
//!
//! A [`StorePath`] is `<32 nixbase32 chars>-<name>`: the 20-byte hash part and a
//! [`StorePathName`]. Both types can only hold valid values. A store path
//! becomes a filesystem path only together with a [`StoreDir`].

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

use crate::nixbase32;

/// Length of the hash part in bytes.
pub const HASH_PART_BYTES: usize = 20;
/// Length of the hash part in nixbase32 characters.
pub const HASH_PART_LEN: usize = 32;
/// Maximum length of a store path name, as in Nix (`StorePath::MaxPathLen`).
pub const MAX_NAME_LEN: usize = 211;

/// Why a store directory, name or path is invalid.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PathError {
    /// The store directory is not a canonical absolute path.
    #[error(
        "store directory '{0}' must be an absolute path without a trailing slash, \
         '.', '..' or empty components"
    )]
    BadStoreDir(String),
    /// The name is empty.
    #[error("store path name is empty")]
    EmptyName,
    /// The name is longer than 211 characters.
    #[error("store path name '{name}' is {len} characters long; the maximum is 211")]
    NameTooLong {
        /// The name.
        name: String,
        /// Its length.
        len: usize,
    },
    /// The name contains a character outside `[A-Za-z0-9+-._?=]`.
    #[error(
        "store path name '{name}' contains illegal character {:?} at position {position} \
         (allowed: A-Z a-z 0-9 + - . _ ? =)",
        char::from(*byte)
    )]
    IllegalNameChar {
        /// The name, lossily decoded for display.
        name: String,
        /// The offending byte.
        byte: u8,
        /// Its position.
        position: usize,
    },
    /// The name is `.` or `..`, or starts with `.-` or `..-`.
    #[error(
        "store path name '{0}' is not allowed ('.', '..', and names starting with '.-' or '..-' are reserved)"
    )]
    ReservedName(String),
    /// The path is too short to hold a hash part, a dash and a name.
    #[error("store path '{0}' is too short (expected <32-char hash>-<name>)")]
    TooShort(String),
    /// The hash part contains a character outside the nixbase32 alphabet.
    #[error("store path '{path}' has invalid hash part: illegal character {:?}", char::from(*byte))]
    BadHashPart {
        /// The path.
        path: String,
        /// The offending byte.
        byte: u8,
    },
    /// There is no dash after the hash part.
    #[error("store path '{0}' has no '-' after its 32-character hash part")]
    MissingDash(String),
    /// The absolute path is not directly inside the store directory.
    #[error("path '{path}' is not directly inside the store directory '{store_dir}'")]
    NotInStore {
        /// The path.
        path: String,
        /// The store directory.
        store_dir: String,
    },
}

/// A store directory such as `/nix/store`: absolute, canonical, no trailing slash.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StoreDir(String);

impl StoreDir {
    /// Nix's default store directory.
    pub const DEFAULT: &'static str = "/nix/store";

    /// Validates a store directory.
    pub fn new(dir: impl Into<String>) -> Result<Self, PathError> {
        let dir = dir.into();
        let ok = dir.len() > 1
            && dir.starts_with('/')
            && dir[1..]
                .split('/')
                .all(|c| !c.is_empty() && c != "." && c != "..");
        if ok {
            Ok(Self(dir))
        } else {
            Err(PathError::BadStoreDir(dir))
        }
    }

    /// The directory as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Parses an absolute path directly inside this store (`/nix/store/<hash>-<name>`).
    pub fn parse_path(&self, path: &str) -> Result<StorePath, PathError> {
        let not_in_store = || PathError::NotInStore {
            path: path.to_owned(),
            store_dir: self.0.clone(),
        };
        let base = path
            .strip_prefix(self.0.as_str())
            .and_then(|rest| rest.strip_prefix('/'))
            .ok_or_else(not_in_store)?;
        if base.contains('/') {
            return Err(not_in_store());
        }
        StorePath::from_base_name(base)
    }

    /// The store path that an absolute path is, or lies inside: the store
    /// path of `/nix/store/<hash>-<name>/bin/tool` is `<hash>-<name>`
    /// (Nix's `toStorePath`).
    pub fn store_path_of(&self, path: &str) -> Result<StorePath, PathError> {
        let rest = path
            .strip_prefix(self.0.as_str())
            .and_then(|rest| rest.strip_prefix('/'))
            .ok_or_else(|| PathError::NotInStore {
                path: path.to_owned(),
                store_dir: self.0.clone(),
            })?;
        StorePath::from_base_name(rest.split('/').next().unwrap_or_default())
    }

    /// The absolute path of `path` in this store.
    pub fn display_path(&self, path: &StorePath) -> String {
        format!("{}/{}", self.0, path)
    }
}

impl Default for StoreDir {
    fn default() -> Self {
        Self(Self::DEFAULT.to_owned())
    }
}

impl fmt::Display for StoreDir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The name part of a store path: 1 to 211 characters of `[A-Za-z0-9+-._?=]`.
///
/// Following current Nix (2.20+), `.`, `..` and names starting with `.-` or
/// `..-` are rejected; Nix 2.8 still accepted them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StorePathName(String);

impl StorePathName {
    /// Validates a name.
    pub fn new(name: &str) -> Result<Self, PathError> {
        Self::validate(name.as_bytes())?;
        Ok(Self(name.to_owned()))
    }

    fn validate(name: &[u8]) -> Result<(), PathError> {
        let lossy = || String::from_utf8_lossy(name).into_owned();
        if name.is_empty() {
            return Err(PathError::EmptyName);
        }
        if name.len() > MAX_NAME_LEN {
            return Err(PathError::NameTooLong {
                name: lossy(),
                len: name.len(),
            });
        }
        if let Some(position) = name.iter().position(|&c| !is_name_char(c)) {
            return Err(PathError::IllegalNameChar {
                name: lossy(),
                byte: name[position],
                position,
            });
        }
        if name == b"." || name == b".." || name.starts_with(b".-") || name.starts_with(b"..-") {
            return Err(PathError::ReservedName(lossy()));
        }
        Ok(())
    }

    /// The name as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for StorePathName {
    type Err = PathError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl fmt::Display for StorePathName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Returns `true` for the characters allowed in store path names.
fn is_name_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.' | b'_' | b'?' | b'=')
}

/// A store path without its store directory: `<hash part>-<name>`.
///
/// Ordered like Nix orders `StorePathSet`s: by base name, so by the *encoded*
/// hash part first (which is not the order of the raw hash bytes).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StorePath {
    /// The hash part as 32 nixbase32 ASCII characters.
    hash_part: [u8; HASH_PART_LEN],
    name: StorePathName,
}

impl StorePath {
    /// Builds a store path from a 20-byte hash and a name.
    pub fn new(hash: [u8; HASH_PART_BYTES], name: StorePathName) -> Self {
        let mut hash_part = [0u8; HASH_PART_LEN];
        nixbase32::encode_into(&hash, &mut hash_part);
        Self { hash_part, name }
    }

    /// Parses a base name `<hash part>-<name>`.
    pub fn from_base_name(base: &str) -> Result<Self, PathError> {
        let bytes = base.as_bytes();
        if bytes.len() < HASH_PART_LEN + 2 {
            return Err(PathError::TooShort(base.to_owned()));
        }
        let mut hash_part = [0u8; HASH_PART_LEN];
        hash_part.copy_from_slice(&bytes[..HASH_PART_LEN]);
        if let Some(&byte) = hash_part.iter().find(|&&c| !nixbase32::is_valid_char(c)) {
            return Err(PathError::BadHashPart {
                path: base.to_owned(),
                byte,
            });
        }
        if bytes[HASH_PART_LEN] != b'-' {
            return Err(PathError::MissingDash(base.to_owned()));
        }
        let name = StorePathName::new(&base[HASH_PART_LEN + 1..])?;
        Ok(Self { hash_part, name })
    }

    /// The hash part as its 32-character nixbase32 string.
    pub fn hash_part(&self) -> &str {
        // Only nixbase32 characters (ASCII) are ever stored.
        std::str::from_utf8(&self.hash_part).unwrap_or_default()
    }

    /// The 20 raw bytes of the hash part.
    pub fn hash_bytes(&self) -> [u8; HASH_PART_BYTES] {
        let mut out = [0u8; HASH_PART_BYTES];
        // 32 valid characters always decode to 20 bytes: 160 bits, no excess.
        let _ = nixbase32::decode_into(&self.hash_part, &mut out);
        out
    }

    /// The name part.
    pub fn name(&self) -> &StorePathName {
        &self.name
    }

    /// Whether this is a derivation's `.drv` file (by its name, as Nix decides).
    pub fn is_derivation(&self) -> bool {
        self.name.as_str().ends_with(".drv")
    }

    /// The absolute path in `store_dir`.
    pub fn to_absolute(&self, store_dir: &StoreDir) -> String {
        store_dir.display_path(self)
    }
}

/// Prints the base name `<hash part>-<name>`.
impl fmt::Display for StorePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.hash_part(), self.name)
    }
}

impl fmt::Debug for StorePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StorePath({self})")
    }
}

/// Parses a base name (see [`StorePath::from_base_name`]).
impl FromStr for StorePath {
    type Err = PathError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_base_name(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "vxjiwkjkn7x4079qvh1jkl5pn05j2aw0-foo";

    #[test]
    fn parse_and_print() {
        let p = StorePath::from_base_name(BASE).unwrap();
        assert_eq!(p.to_string(), BASE);
        assert_eq!(p.hash_part(), "vxjiwkjkn7x4079qvh1jkl5pn05j2aw0");
        assert_eq!(p.name().as_str(), "foo");
        let dir = StoreDir::default();
        let abs = p.to_absolute(&dir);
        assert_eq!(abs, format!("/nix/store/{BASE}"));
        assert_eq!(dir.parse_path(&abs).unwrap(), p);
        assert_eq!(StorePath::new(p.hash_bytes(), p.name().clone()), p);
    }

    #[test]
    fn rejects_invalid_paths() {
        let dir = StoreDir::default();
        assert!(matches!(
            dir.parse_path(&format!("/nix/store/{BASE}/bin")),
            Err(PathError::NotInStore { .. })
        ));
        assert!(matches!(
            dir.parse_path(&format!("/nix/storex/{BASE}")),
            Err(PathError::NotInStore { .. })
        ));
        assert!(matches!(
            StorePath::from_base_name("vxjiwkjkn7x4079qvh1jkl5pn05j2aw0-"),
            Err(PathError::TooShort(_))
        ));
        assert!(matches!(
            StorePath::from_base_name("exjiwkjkn7x4079qvh1jkl5pn05j2aw0-foo"),
            Err(PathError::BadHashPart { byte: b'e', .. })
        ));
        assert!(matches!(
            StorePath::from_base_name("vxjiwkjkn7x4079qvh1jkl5pn05j2aw0_foo"),
            Err(PathError::MissingDash(_))
        ));
        assert!(matches!(
            StorePath::from_base_name("vxjiwkjkn7x4079qvh1jkl5pn05j2aw0-f/o"),
            Err(PathError::IllegalNameChar {
                byte: b'/',
                position: 1,
                ..
            })
        ));
    }

    #[test]
    fn name_rules() {
        for ok in ["a", ".foo", "..foo", "a-b_c+d?e=f.g", &"x".repeat(211), "-"] {
            StorePathName::new(ok).unwrap();
        }
        assert_eq!(StorePathName::new(""), Err(PathError::EmptyName));
        assert!(matches!(
            StorePathName::new(&"x".repeat(212)),
            Err(PathError::NameTooLong { len: 212, .. })
        ));
        for reserved in [".", "..", ".-x", "..-x"] {
            assert!(matches!(
                StorePathName::new(reserved),
                Err(PathError::ReservedName(_))
            ));
        }
        for bad in ["a b", "é", "a/b", "a\0", "a~"] {
            assert!(matches!(
                StorePathName::new(bad),
                Err(PathError::IllegalNameChar { .. })
            ));
        }
    }

    #[test]
    fn store_dir_rules() {
        StoreDir::new("/nix/store").unwrap();
        StoreDir::new("/tmp/x").unwrap();
        for bad in [
            "",
            "/",
            "nix/store",
            "/nix/store/",
            "/nix//store",
            "/nix/./store",
            "/a/..",
        ] {
            assert!(StoreDir::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ordering_is_by_base_name() {
        let a = StorePath::from_base_name("0zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz-b").unwrap();
        let b = StorePath::from_base_name("10000000000000000000000000000000-a").unwrap();
        assert!(a < b);
        assert!(a.to_string() < b.to_string());
    }
}
