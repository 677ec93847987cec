//! Signatures on store paths: the fingerprint Nix signs, the `name:base64`
//! signature format, and the set of trusted keys that checks them.
//!
//! Nix signs a path's *fingerprint*:
//!
//! ```text
//! 1;<absolute store path>;<NAR hash as algo:nixbase32>;<NAR size>;<absolute references, comma-separated>
//! ```
//!
//! and writes the signature as `key-name:base64(64-byte Ed25519 signature)`.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use cairn_store::hash::Hash;
use cairn_store::path::{StoreDir, StorePath};
use data_encoding::BASE64;
use thiserror::Error;

use crate::keys::PublicKey;
use crate::narinfo::NarInfo;

/// Length of an Ed25519 signature in bytes.
pub const SIGNATURE_BYTES: usize = 64;

/// Why a signature could not be parsed or does not verify.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SignatureError {
    /// The text has no `:` between the key name and the signature.
    #[error("signature '{0}' has no ':' between its key name and its base64 signature")]
    MissingColon(String),
    /// The key name is empty.
    #[error("signature '{0}' has an empty key name")]
    EmptyName(String),
    /// A key name given on its own contains `:`.
    #[error("signature key name '{0}' contains ':', which separates the name from the signature")]
    ColonInName(String),
    /// The part after the `:` is not valid padded base64.
    #[error("signature by key '{key_name}' is not valid base64: {reason}")]
    BadBase64 {
        /// The key name.
        key_name: String,
        /// What the decoder objected to.
        reason: String,
    },
    /// The decoded signature is not 64 bytes long.
    #[error("signature by key '{key_name}' is {found} bytes long; an Ed25519 signature has 64")]
    WrongLength {
        /// The key name.
        key_name: String,
        /// The decoded length.
        found: usize,
    },
    /// The signature names another key than the one asked to check it.
    #[error("signature was made by key '{found}', not by key '{expected}'")]
    WrongKeyName {
        /// The name of the key checking.
        expected: String,
        /// The name the signature carries.
        found: String,
    },
    /// The signature does not match the message and key.
    #[error("signature by key '{key_name}' does not match (wrong key, or the data was altered)")]
    Invalid {
        /// The key name.
        key_name: String,
    },
}

/// A signature and the name of the key that made it: `name:base64(64 bytes)`.
///
/// Ordered (and deduplicated in sets) by its text, as Nix's `StringSet` of
/// signatures is, so a set of signatures prints in Nix's order.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Signature {
    key_name: String,
    bytes: [u8; SIGNATURE_BYTES],
}

impl Signature {
    /// Builds a signature from its key name (the caller's key, so already
    /// non-empty and free of `:`) and 64 bytes.
    pub(crate) fn new(key_name: String, bytes: [u8; SIGNATURE_BYTES]) -> Self {
        Self { key_name, bytes }
    }

    /// Builds a signature from a key name and 64 bytes, for signatures made
    /// elsewhere. The name must be non-empty and contain no `:`.
    pub fn from_parts(
        key_name: &str,
        bytes: [u8; SIGNATURE_BYTES],
    ) -> Result<Self, SignatureError> {
        if key_name.is_empty() {
            return Err(SignatureError::EmptyName(key_name.to_owned()));
        }
        if key_name.contains(':') {
            return Err(SignatureError::ColonInName(key_name.to_owned()));
        }
        Ok(Self::new(key_name.to_owned(), bytes))
    }

    /// The name of the key that made the signature.
    pub fn key_name(&self) -> &str {
        &self.key_name
    }

    /// The 64 signature bytes.
    pub fn bytes(&self) -> &[u8; SIGNATURE_BYTES] {
        &self.bytes
    }
}

impl FromStr for Signature {
    type Err = SignatureError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, sig) = s
            .split_once(':')
            .ok_or_else(|| SignatureError::MissingColon(s.to_owned()))?;
        if name.is_empty() {
            return Err(SignatureError::EmptyName(s.to_owned()));
        }
        let decoded = BASE64
            .decode(sig.as_bytes())
            .map_err(|e| SignatureError::BadBase64 {
                key_name: name.to_owned(),
                reason: e.to_string(),
            })?;
        let found = decoded.len();
        let bytes = <[u8; SIGNATURE_BYTES]>::try_from(decoded).map_err(|_| {
            SignatureError::WrongLength {
                key_name: name.to_owned(),
                found,
            }
        })?;
        Ok(Self::new(name.to_owned(), bytes))
    }
}

/// Prints `name:base64(signature)`.
impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.key_name, BASE64.encode(&self.bytes))
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({self})")
    }
}

impl Ord for Signature {
    fn cmp(&self, other: &Self) -> Ordering {
        self.to_string().cmp(&other.to_string())
    }
}

impl PartialOrd for Signature {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The text Nix signs for a store path (`ValidPathInfo::fingerprint`):
/// `1;<path>;<narHash>;<narSize>;<refs>` with absolute paths, the hash as
/// `algo:nixbase32`, and the references comma-separated in set order.
pub fn fingerprint<'a>(
    store_dir: &StoreDir,
    path: &StorePath,
    nar_hash: &Hash,
    nar_size: u64,
    references: impl IntoIterator<Item = &'a StorePath>,
) -> String {
    let refs: Vec<String> = references
        .into_iter()
        .map(|r| store_dir.display_path(r))
        .collect();
    format!(
        "1;{};{};{};{}",
        store_dir.display_path(path),
        nar_hash,
        nar_size,
        refs.join(",")
    )
}

/// Why a narinfo failed the signature check.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum VerifyError {
    /// The narinfo carries no signature at all.
    #[error("'{path}' is not signed; it cannot be trusted")]
    Unsigned {
        /// The absolute store path.
        path: String,
    },
    /// None of the signatures is by a trusted key.
    #[error(
        "'{path}' is signed only by untrusted keys ({}); add one to trusted-public-keys if you trust it",
        signers.join(", ")
    )]
    NoTrustedSigner {
        /// The absolute store path.
        path: String,
        /// The names of the keys that signed it.
        signers: Vec<String>,
    },
    /// Signatures by trusted keys are present but none matches.
    #[error(
        "'{path}' has signatures by trusted keys ({}) but none matches its contents; \
         the narinfo was altered or signed with another key of the same name",
        key_names.join(", ")
    )]
    BadSignature {
        /// The absolute store path.
        path: String,
        /// The trusted key names whose signatures failed.
        key_names: Vec<String>,
    },
}

/// A set of trusted public keys, looked up by name (Nix's `trusted-public-keys`).
///
/// As in Nix, the first key inserted under a name wins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedKeys {
    keys: BTreeMap<String, PublicKey>,
}

impl TrustedKeys {
    /// An empty set: nothing verifies.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses keys in Nix's text format, as in `trusted-public-keys`.
    pub fn parse<'a>(
        keys: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, crate::keys::KeyError> {
        let mut set = Self::new();
        for key in keys {
            set.insert(key.parse()?);
        }
        Ok(set)
    }

    /// Parses the value of Nix's `trusted-public-keys` setting: keys
    /// separated by whitespace.
    pub fn parse_setting(value: &str) -> Result<Self, crate::keys::KeyError> {
        Self::parse(value.split_whitespace())
    }

    /// Adds a key. Returns `false` (and keeps the old key) if a key with
    /// the same name is already trusted.
    pub fn insert(&mut self, key: PublicKey) -> bool {
        match self.keys.entry(key.name().to_owned()) {
            std::collections::btree_map::Entry::Occupied(_) => false,
            std::collections::btree_map::Entry::Vacant(v) => {
                v.insert(key);
                true
            }
        }
    }

    /// The trusted key with this name.
    pub fn get(&self, name: &str) -> Option<&PublicKey> {
        self.keys.get(name)
    }

    /// The number of trusted keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True if no key is trusted.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// True if `signature` is by a trusted key and matches `message`.
    pub fn verify(&self, message: &[u8], signature: &Signature) -> bool {
        self.get(signature.key_name())
            .is_some_and(|key| key.verify(message, signature).is_ok())
    }

    /// The signatures of `signatures` that verify over `fingerprint`
    /// (Nix's `checkSignatures` counts these).
    pub fn valid_signatures<'s>(
        &self,
        fingerprint: &str,
        signatures: &'s BTreeSet<Signature>,
    ) -> Vec<&'s Signature> {
        signatures
            .iter()
            .filter(|s| self.verify(fingerprint.as_bytes(), s))
            .collect()
    }

    /// Checks a narinfo: it is trusted if at least one of its signatures is
    /// by a trusted key and matches its fingerprint. Returns that signature.
    pub fn verify_narinfo<'n>(&self, info: &'n NarInfo) -> Result<&'n Signature, VerifyError> {
        let path = info.store_dir.display_path(&info.store_path);
        if info.signatures.is_empty() {
            return Err(VerifyError::Unsigned { path });
        }
        let fingerprint = info.fingerprint();
        let mut tried = Vec::new();
        for sig in &info.signatures {
            if let Some(key) = self.get(sig.key_name()) {
                if key.verify(fingerprint.as_bytes(), sig).is_ok() {
                    return Ok(sig);
                }
                tried.push(sig.key_name().to_owned());
            }
        }
        if tried.is_empty() {
            Err(VerifyError::NoTrustedSigner {
                path,
                signers: info
                    .signatures
                    .iter()
                    .map(|s| s.key_name().to_owned())
                    .collect(),
            })
        } else {
            Err(VerifyError::BadSignature {
                path,
                key_names: tried,
            })
        }
    }
}

impl Extend<PublicKey> for TrustedKeys {
    fn extend<T: IntoIterator<Item = PublicKey>>(&mut self, iter: T) {
        for key in iter {
            self.insert(key);
        }
    }
}

impl FromIterator<PublicKey> for TrustedKeys {
    fn from_iter<T: IntoIterator<Item = PublicKey>>(iter: T) -> Self {
        let mut set = Self::new();
        set.extend(iter);
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::SecretKey;

    const NIX_SECRET: &str = "test-1:pi8c1zcBDcwDWNa7bvdK8YRxyDY88QQ8WkODVM47Ub/Na/XMYBBXFWGOXKnqWWGMkl0DxZRJOu5YM64qPilSIA==";
    const NIX_PUBLIC: &str = "test-1:zWv1zGAQVxVhjlyp6llhjJJdA8WUSTruWDOuKj4pUiA=";

    fn path(base: &str) -> StorePath {
        StorePath::from_base_name(base).unwrap()
    }

    /// `nix copy --to file://…?secret-key=` with the key above (Nix 2.8):
    /// /nix/store/rdra7rh01cpim2kx5l5w1flx4m85wszy-d, two references.
    fn d_fingerprint() -> String {
        let refs = [
            path("07dddsibwwbapv5ddhm9kbb0mkd0zg2k-t"),
            path("z3n6ml62lc6l9glpaz6fq7fvi2rks9vq-a.txt"),
        ];
        fingerprint(
            &StoreDir::default(),
            &path("rdra7rh01cpim2kx5l5w1flx4m85wszy-d"),
            &"sha256:141mwm456cjrdxxlqyjxb4c64wpmzxvjprwqaxbfwi6zvcv505sz"
                .parse()
                .unwrap(),
            208,
            &refs,
        )
    }
    const D_SIG: &str = "test-1:nZOkEWcfL9LI43uiqIXkufG17jUo3d2Poqx8364Ck86Bs+4pgsCTEPgDh7rwBndzieZ7SL0TwqJ31/sXft6XBw==";

    #[test]
    fn fingerprint_format() {
        assert_eq!(
            d_fingerprint(),
            "1;/nix/store/rdra7rh01cpim2kx5l5w1flx4m85wszy-d;\
             sha256:141mwm456cjrdxxlqyjxb4c64wpmzxvjprwqaxbfwi6zvcv505sz;208;\
             /nix/store/07dddsibwwbapv5ddhm9kbb0mkd0zg2k-t,\
             /nix/store/z3n6ml62lc6l9glpaz6fq7fvi2rks9vq-a.txt"
        );
    }

    #[test]
    fn nix_signature_verifies_and_cairn_signs_identically() {
        let sig: Signature = D_SIG.parse().unwrap();
        assert_eq!(sig.to_string(), D_SIG);
        let pk: PublicKey = NIX_PUBLIC.parse().unwrap();
        pk.verify(d_fingerprint().as_bytes(), &sig).unwrap();
        let sk: SecretKey = NIX_SECRET.parse().unwrap();
        assert_eq!(sk.sign(d_fingerprint().as_bytes()), sig);
        let trusted: TrustedKeys = [pk].into_iter().collect();
        assert!(trusted.verify(d_fingerprint().as_bytes(), &sig));
        assert!(!trusted.verify(b"1;other", &sig));
    }

    #[test]
    fn malformed_signatures_are_rejected_precisely() {
        assert_eq!(
            "abc".parse::<Signature>(),
            Err(SignatureError::MissingColon("abc".into()))
        );
        assert_eq!(
            ":AAAA".parse::<Signature>(),
            Err(SignatureError::EmptyName(":AAAA".into()))
        );
        assert!(matches!(
            "k:@@@@".parse::<Signature>(),
            Err(SignatureError::BadBase64 { .. })
        ));
        assert_eq!(
            "k:AAAA".parse::<Signature>(),
            Err(SignatureError::WrongLength {
                key_name: "k".into(),
                found: 3
            })
        );
    }

    #[test]
    fn signatures_order_like_nix_strings() {
        let a = SecretKey::from_seed("a", &[1; 32]).unwrap().sign(b"m");
        let a0 = SecretKey::from_seed("a0", &[1; 32]).unwrap().sign(b"m");
        // As strings, "a0:…" < "a:…" because '0' < ':'.
        let set: BTreeSet<Signature> = [a.clone(), a0.clone()].into_iter().collect();
        assert_eq!(set.into_iter().collect::<Vec<_>>(), vec![a0, a]);
    }

    #[test]
    fn from_parts_checks_the_name() {
        let sig: Signature = D_SIG.parse().unwrap();
        assert_eq!(
            Signature::from_parts("test-1", *sig.bytes()),
            Ok(sig.clone())
        );
        assert!(Signature::from_parts("", *sig.bytes()).is_err());
        assert!(Signature::from_parts("a:b", *sig.bytes()).is_err());
    }

    #[test]
    fn trusted_public_keys_setting() {
        let keys = TrustedKeys::parse_setting(&format!(
            "  {NIX_PUBLIC}\n cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY= "
        ))
        .unwrap();
        assert_eq!(keys.len(), 2);
        assert!(keys.get("cache.nixos.org-1").is_some());
        assert!(TrustedKeys::parse_setting("a:b").is_err());
        assert!(TrustedKeys::parse_setting("").unwrap().is_empty());
    }

    #[test]
    fn first_key_under_a_name_wins() {
        let mut keys = TrustedKeys::new();
        let k1 = SecretKey::from_seed("k", &[1; 32]).unwrap().to_public();
        let k2 = SecretKey::from_seed("k", &[2; 32]).unwrap().to_public();
        assert!(keys.insert(k1.clone()));
        assert!(!keys.insert(k2));
        assert_eq!(keys.get("k"), Some(&k1));
        assert_eq!(keys.len(), 1);
    }
}
