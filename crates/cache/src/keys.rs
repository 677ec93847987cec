//! Ed25519 signing keys in Nix's text formats.
//!
//! - A secret key is `name:base64(seed ‖ public key)` (64 bytes, libsodium's
//!   layout), as written by `nix key generate-secret`.
//! - A public key is `name:base64(public key)` (32 bytes), as written by
//!   `nix key convert-secret-to-public` and listed in `trusted-public-keys`.
//!
//! The name (`cache.example.org-1`) is part of the key: a signature names the
//! key that made it, and only a public key with that name checks it.

use std::fmt;
use std::str::FromStr;

use data_encoding::BASE64;
use ed25519_dalek::{SigningKey, VerifyingKey};
use thiserror::Error;

use crate::signature::{Signature, SignatureError};

/// Length of a secret key in bytes (seed followed by the public key).
pub const SECRET_KEY_BYTES: usize = 64;
/// Length of a public key in bytes.
pub const PUBLIC_KEY_BYTES: usize = 32;

/// Why a key could not be parsed or made.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeyError {
    /// The text has no `:` between the name and the key.
    #[error("{kind} key has no ':' between its name and its base64 key (expected 'name:base64')")]
    MissingColon {
        /// `secret` or `public`.
        kind: &'static str,
    },
    /// The name before the `:` is empty.
    #[error("{kind} key has an empty name (expected 'name:base64')")]
    EmptyName {
        /// `secret` or `public`.
        kind: &'static str,
    },
    /// The part after the `:` is not valid padded base64.
    #[error("{kind} key '{name}' is not valid base64: {reason}")]
    BadBase64 {
        /// `secret` or `public`.
        kind: &'static str,
        /// The key's name.
        name: String,
        /// What the decoder objected to.
        reason: String,
    },
    /// The decoded key has the wrong number of bytes.
    #[error("{kind} key '{name}' is {found} bytes long; an Ed25519 {kind} key has {expected}")]
    WrongLength {
        /// `secret` or `public`.
        kind: &'static str,
        /// The key's name.
        name: String,
        /// The expected length.
        expected: usize,
        /// The decoded length.
        found: usize,
    },
    /// A key name given on its own contains `:`, the name separator.
    #[error("{kind} key name '{name}' contains ':', which separates the name from the key")]
    ColonInName {
        /// `secret` or `public`.
        kind: &'static str,
        /// The name.
        name: String,
    },
    /// The public half of a secret key does not belong to its seed.
    #[error(
        "secret key '{0}' is corrupt: its last 32 bytes are not the public key of its first 32"
    )]
    MismatchedPublicHalf(String),
    /// The 32 bytes are not a valid Ed25519 public key (not a curve point).
    #[error("public key '{0}' is not a valid Ed25519 point")]
    InvalidPoint(String),
    /// The operating system could not supply randomness for a new key.
    #[error("cannot generate key '{name}': no randomness from the operating system: {reason}")]
    NoRandomness {
        /// The key's name.
        name: String,
        /// The OS error.
        reason: String,
    },
}

/// Splits `name:base64`, decodes the base64 and checks the length.
fn parse_named<const N: usize>(
    kind: &'static str,
    text: &str,
) -> Result<(String, [u8; N]), KeyError> {
    let text = text.trim_ascii();
    let (name, key) = text
        .split_once(':')
        .ok_or(KeyError::MissingColon { kind })?;
    if name.is_empty() {
        return Err(KeyError::EmptyName { kind });
    }
    let bytes = BASE64
        .decode(key.as_bytes())
        .map_err(|e| KeyError::BadBase64 {
            kind,
            name: name.to_owned(),
            reason: e.to_string(),
        })?;
    let found = bytes.len();
    let array = <[u8; N]>::try_from(bytes).map_err(|_| KeyError::WrongLength {
        kind,
        name: name.to_owned(),
        expected: N,
        found,
    })?;
    Ok((name.to_owned(), array))
}

/// A named Ed25519 secret key, as Nix stores it.
///
/// Its [`Display`](fmt::Display) prints the secret: write it only to a key file.
/// [`Debug`](fmt::Debug) shows the name and the public key only.
#[derive(Clone)]
pub struct SecretKey {
    name: String,
    key: SigningKey,
}

impl SecretKey {
    /// Generates a new key from the operating system's randomness, like
    /// `nix key generate-secret --key-name NAME`.
    ///
    /// The name must be non-empty and contain no `:`.
    pub fn generate(name: &str) -> Result<Self, KeyError> {
        check_name("secret", name)?;
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| KeyError::NoRandomness {
            name: name.to_owned(),
            reason: e.to_string(),
        })?;
        Self::from_seed(name, &seed)
    }

    /// Builds a key from its name and 32-byte seed (deterministic).
    pub fn from_seed(name: &str, seed: &[u8; 32]) -> Result<Self, KeyError> {
        check_name("secret", name)?;
        Ok(Self {
            name: name.to_owned(),
            key: SigningKey::from_bytes(seed),
        })
    }

    /// The key's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The matching public key, like `nix key convert-secret-to-public`.
    pub fn to_public(&self) -> PublicKey {
        PublicKey {
            name: self.name.clone(),
            key: self.key.verifying_key(),
        }
    }

    /// Signs `message` (normally a path's fingerprint) and names the signature
    /// after this key. Ed25519 is deterministic: the same key and message
    /// always give the same signature, byte for byte the one Nix makes.
    pub fn sign(&self, message: &[u8]) -> Signature {
        use ed25519_dalek::Signer;
        Signature::new(self.name.clone(), self.key.sign(message).to_bytes())
    }
}

/// Parses `name:base64(64 bytes)`; surrounding whitespace (a key file's final
/// newline) is ignored.
impl FromStr for SecretKey {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, bytes) = parse_named::<SECRET_KEY_BYTES>("secret", s)?;
        let key = SigningKey::from_keypair_bytes(&bytes)
            .map_err(|_| KeyError::MismatchedPublicHalf(name.clone()))?;
        Ok(Self { name, key })
    }
}

/// Prints `name:base64(seed ‖ public key)`, the format of Nix's key files.
impl fmt::Display for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}",
            self.name,
            BASE64.encode(&self.key.to_keypair_bytes())
        )
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey({}, public {})", self.name, self.to_public())
    }
}

impl PartialEq for SecretKey {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.key.to_bytes() == other.key.to_bytes()
    }
}

impl Eq for SecretKey {}

/// A named Ed25519 public key, as in Nix's `trusted-public-keys`.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    name: String,
    key: VerifyingKey,
}

impl PublicKey {
    /// Builds a public key from its name and 32 bytes.
    pub fn from_bytes(name: &str, bytes: &[u8; PUBLIC_KEY_BYTES]) -> Result<Self, KeyError> {
        check_name("public", name)?;
        let key =
            VerifyingKey::from_bytes(bytes).map_err(|_| KeyError::InvalidPoint(name.to_owned()))?;
        Ok(Self {
            name: name.to_owned(),
            key,
        })
    }

    /// The key's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The 32 raw bytes.
    pub fn as_bytes(&self) -> &[u8; PUBLIC_KEY_BYTES] {
        self.key.as_bytes()
    }

    /// Checks that `signature` was made over `message` by this key.
    ///
    /// The signature must carry this key's name. Verification is strict
    /// (no small-order points, canonical encodings), like libsodium's
    /// `crypto_sign_verify_detached`, which Nix uses.
    pub fn verify(&self, message: &[u8], signature: &Signature) -> Result<(), SignatureError> {
        if signature.key_name() != self.name {
            return Err(SignatureError::WrongKeyName {
                expected: self.name.clone(),
                found: signature.key_name().to_owned(),
            });
        }
        let sig = ed25519_dalek::Signature::from_bytes(signature.bytes());
        self.key
            .verify_strict(message, &sig)
            .map_err(|_| SignatureError::Invalid {
                key_name: self.name.clone(),
            })
    }
}

/// Parses `name:base64(32 bytes)`; surrounding whitespace is ignored.
impl FromStr for PublicKey {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, bytes) = parse_named::<PUBLIC_KEY_BYTES>("public", s)?;
        Self::from_bytes(&name, &bytes)
    }
}

/// Prints `name:base64(public key)`.
impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.name, BASE64.encode(self.key.as_bytes()))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({self})")
    }
}

/// Key names must be non-empty and must not contain `:` (the separator).
fn check_name(kind: &'static str, name: &str) -> Result<(), KeyError> {
    if name.is_empty() {
        Err(KeyError::EmptyName { kind })
    } else if name.contains(':') {
        Err(KeyError::ColonInName {
            kind,
            name: name.to_owned(),
        })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Made by `nix key generate-secret --key-name test-1` and
    // `nix key convert-secret-to-public` (Nix 2.8).
    const NIX_SECRET: &str = "test-1:pi8c1zcBDcwDWNa7bvdK8YRxyDY88QQ8WkODVM47Ub/Na/XMYBBXFWGOXKnqWWGMkl0DxZRJOu5YM64qPilSIA==";
    const NIX_PUBLIC: &str = "test-1:zWv1zGAQVxVhjlyp6llhjJJdA8WUSTruWDOuKj4pUiA=";

    #[test]
    fn nix_keys_round_trip_and_convert() {
        let sk: SecretKey = NIX_SECRET.parse().unwrap();
        assert_eq!(sk.to_string(), NIX_SECRET);
        assert_eq!(sk.name(), "test-1");
        assert_eq!(sk.to_public().to_string(), NIX_PUBLIC);
        let pk: PublicKey = NIX_PUBLIC.parse().unwrap();
        assert_eq!(pk, sk.to_public());
        assert_eq!(pk.to_string(), NIX_PUBLIC);
    }

    #[test]
    fn key_file_newline_is_ignored() {
        let sk: SecretKey = format!("{NIX_SECRET}\n").parse().unwrap();
        assert_eq!(sk.to_string(), NIX_SECRET);
    }

    #[test]
    fn generated_keys_sign_and_verify() {
        let sk = SecretKey::generate("cairn-test-1").unwrap();
        let other = SecretKey::generate("cairn-test-1").unwrap();
        assert_ne!(sk, other);
        let reparsed: SecretKey = sk.to_string().parse().unwrap();
        assert_eq!(reparsed, sk);
        let sig = sk.sign(b"hello");
        sk.to_public().verify(b"hello", &sig).unwrap();
        assert_eq!(
            sk.to_public().verify(b"hellO", &sig),
            Err(SignatureError::Invalid {
                key_name: "cairn-test-1".into()
            })
        );
        assert!(matches!(
            other.to_public().verify(b"hello", &sig),
            Err(SignatureError::Invalid { .. })
        ));
    }

    #[test]
    fn wrong_key_name_is_reported() {
        let sk = SecretKey::from_seed("a", &[7; 32]).unwrap();
        let pk = SecretKey::from_seed("b", &[7; 32]).unwrap().to_public();
        let err = pk.verify(b"m", &sk.sign(b"m")).unwrap_err();
        assert_eq!(
            err,
            SignatureError::WrongKeyName {
                expected: "b".into(),
                found: "a".into()
            }
        );
    }

    #[test]
    fn malformed_keys_are_rejected_precisely() {
        assert_eq!(
            "nocolon".parse::<PublicKey>(),
            Err(KeyError::MissingColon { kind: "public" })
        );
        assert_eq!(
            ":zWv1zGAQVxVhjlyp6llhjJJdA8WUSTruWDOuKj4pUiA=".parse::<PublicKey>(),
            Err(KeyError::EmptyName { kind: "public" })
        );
        assert!(matches!(
            "k:not*base64".parse::<PublicKey>(),
            Err(KeyError::BadBase64 { .. })
        ));
        assert_eq!(
            "k:AAAA".parse::<PublicKey>(),
            Err(KeyError::WrongLength {
                kind: "public",
                name: "k".into(),
                expected: 32,
                found: 3
            })
        );
        // A public key given where a secret key is expected.
        assert_eq!(
            NIX_PUBLIC.parse::<SecretKey>(),
            Err(KeyError::WrongLength {
                kind: "secret",
                name: "test-1".into(),
                expected: 64,
                found: 32
            })
        );
        // Seed and public half from different keys.
        let a = SecretKey::from_seed("k", &[1; 32]).unwrap();
        let b = SecretKey::from_seed("k", &[2; 32]).unwrap();
        let mut bytes = a.key.to_keypair_bytes();
        bytes[32..].copy_from_slice(b.to_public().as_bytes());
        let text = format!("k:{}", BASE64.encode(&bytes));
        assert_eq!(
            text.parse::<SecretKey>(),
            Err(KeyError::MismatchedPublicHalf("k".into()))
        );
        assert!(SecretKey::generate("").is_err());
        assert_eq!(
            SecretKey::generate("a:b"),
            Err(KeyError::ColonInName {
                kind: "secret",
                name: "a:b".into()
            })
        );
    }

    #[test]
    fn error_messages_say_what_is_wrong() {
        let err = "k:AAAA".parse::<PublicKey>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "public key 'k' is 3 bytes long; an Ed25519 public key has 32"
        );
    }
}
