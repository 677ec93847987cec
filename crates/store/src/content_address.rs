//! How Nix computes store paths, and content addresses (the `ca` field).
//!
//! Every store path is `compress20(sha256("<type>:<algo>:<base16 inner hash>:<store dir>:<name>"))`
//! followed by `-<name>` (Nix's `Store::makeStorePath`). The helpers here build
//! the `<type>` and inner hash for each kind of path exactly as Nix does.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use thiserror::Error;

use crate::hash::{Hash, HashAlgo, HashError, compress_hash};
use crate::path::{PathError, StoreDir, StorePath, StorePathName};

/// How file contents are turned into a hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FileIngestionMethod {
    /// The hash of a single regular file's contents.
    Flat,
    /// The hash of the NAR serialisation of a file tree.
    Recursive,
}

impl FileIngestionMethod {
    /// The prefix Nix writes in fixed-output descriptors: `""` or `"r:"`.
    pub fn prefix(self) -> &'static str {
        match self {
            Self::Flat => "",
            Self::Recursive => "r:",
        }
    }
}

/// Why a path could not be computed or a content address parsed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ContentAddressError {
    /// References are only allowed for recursive SHA-256 fixed-output paths.
    #[error("fixed-output path '{name}' with {method:?} {algo} hash cannot have references")]
    ReferencesNotAllowed {
        /// The path name.
        name: String,
        /// The ingestion method.
        method: FileIngestionMethod,
        /// The hash algorithm.
        algo: HashAlgo,
    },
    /// Text paths are always hashed with SHA-256.
    #[error("text paths must use a sha256 hash, not {0}")]
    TextNotSha256(HashAlgo),
    /// The resulting name is not a valid store path name.
    #[error(transparent)]
    Name(#[from] PathError),
    /// The content address string is malformed.
    #[error(
        "content address '{0}' is not of the form 'text:sha256:<hash>' or 'fixed:[r:]<algo>:<hash>'"
    )]
    Malformed(String),
    /// The hash inside the content address is malformed.
    #[error("content address '{ca}' has an invalid hash")]
    BadHash {
        /// The whole content address.
        ca: String,
        /// What was wrong with its hash.
        source: HashError,
    },
}

impl StoreDir {
    /// Nix's `makeStorePath`: the store path for a type string, an inner hash and a name.
    pub fn make_store_path(&self, ty: &str, inner: &Hash, name: &StorePathName) -> StorePath {
        let s = format!(
            "{ty}:{}:{}:{}",
            inner.to_prefixed_base16(),
            self.as_str(),
            name.as_str()
        );
        let digest = Hash::of(HashAlgo::Sha256, s.as_bytes());
        StorePath::new(compress_hash::<20>(digest.digest()), name.clone())
    }

    /// Nix's `makeType`: `ty` followed by `:<absolute path>` for each reference
    /// (in store path order) and `:self` if the path refers to itself.
    pub fn make_type<'a>(
        &self,
        ty: &str,
        references: impl IntoIterator<Item = &'a StorePath>,
        self_reference: bool,
    ) -> String {
        let mut refs: Vec<&StorePath> = references.into_iter().collect();
        refs.sort();
        refs.dedup();
        let mut out = ty.to_owned();
        for r in refs {
            out.push(':');
            out.push_str(&self.display_path(r));
        }
        if self_reference {
            out.push_str(":self");
        }
        out
    }

    /// The path of a recursively-hashed source tree (`nix-store --add`,
    /// `builtins.path`): type `source`, inner hash = the NAR's SHA-256.
    pub fn make_source_path(
        &self,
        name: &StorePathName,
        nar_sha256: &Hash,
        references: &BTreeSet<StorePath>,
        self_reference: bool,
    ) -> StorePath {
        let ty = self.make_type("source", references, self_reference);
        self.make_store_path(&ty, nar_sha256, name)
    }

    /// The path of a text file (`builtins.toFile`, `.drv` files): type `text`,
    /// inner hash = SHA-256 of the contents.
    pub fn make_text_path(
        &self,
        name: &StorePathName,
        contents_sha256: &Hash,
        references: &BTreeSet<StorePath>,
    ) -> Result<StorePath, ContentAddressError> {
        if contents_sha256.algo() != HashAlgo::Sha256 {
            return Err(ContentAddressError::TextNotSha256(contents_sha256.algo()));
        }
        let ty = self.make_type("text", references, false);
        Ok(self.make_store_path(&ty, contents_sha256, name))
    }

    /// Nix's `makeFixedOutputPath`. Recursive SHA-256 is a source path; anything
    /// else is `output:out` with inner hash `sha256("fixed:out:<r:><algo>:<base16>:")`
    /// and may not have references.
    pub fn make_fixed_output_path(
        &self,
        name: &StorePathName,
        method: FileIngestionMethod,
        hash: &Hash,
        references: &BTreeSet<StorePath>,
        self_reference: bool,
    ) -> Result<StorePath, ContentAddressError> {
        if method == FileIngestionMethod::Recursive && hash.algo() == HashAlgo::Sha256 {
            return Ok(self.make_source_path(name, hash, references, self_reference));
        }
        if !references.is_empty() || self_reference {
            return Err(ContentAddressError::ReferencesNotAllowed {
                name: name.to_string(),
                method,
                algo: hash.algo(),
            });
        }
        let inner = format!(
            "fixed:out:{}{}:",
            method.prefix(),
            hash.to_prefixed_base16()
        );
        let inner = Hash::of(HashAlgo::Sha256, inner.as_bytes());
        Ok(self.make_store_path("output:out", &inner, name))
    }

    /// Nix's `makeOutputPath`: the path of output `output` of a derivation named
    /// `drv_name` whose (modulo) hash is `drv_hash`. The path name is `drv_name`
    /// for `out` and `drv_name-output` otherwise.
    pub fn make_output_path(
        &self,
        output: &str,
        drv_hash: &Hash,
        drv_name: &StorePathName,
    ) -> Result<StorePath, ContentAddressError> {
        let name = if output == "out" {
            drv_name.clone()
        } else {
            StorePathName::new(&format!("{drv_name}-{output}"))?
        };
        Ok(self.make_store_path(&format!("output:{output}"), drv_hash, &name))
    }
}

/// A content address, as in the `ca` field of path info.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContentAddress {
    /// `text:sha256:<base32>`: a text file hashed flat with SHA-256.
    Text(Hash),
    /// `fixed:[r:]<algo>:<base32>`: a fixed-output path.
    Fixed {
        /// Flat or recursive.
        method: FileIngestionMethod,
        /// The hash.
        hash: Hash,
    },
}

impl ContentAddress {
    /// The store path this content address gives `name` with these references.
    pub fn store_path(
        &self,
        store_dir: &StoreDir,
        name: &StorePathName,
        references: &BTreeSet<StorePath>,
        self_reference: bool,
    ) -> Result<StorePath, ContentAddressError> {
        match self {
            Self::Text(hash) => {
                if self_reference {
                    return Err(ContentAddressError::ReferencesNotAllowed {
                        name: name.to_string(),
                        method: FileIngestionMethod::Flat,
                        algo: hash.algo(),
                    });
                }
                store_dir.make_text_path(name, hash, references)
            }
            Self::Fixed { method, hash } => {
                store_dir.make_fixed_output_path(name, *method, hash, references, self_reference)
            }
        }
    }
}

impl fmt::Display for ContentAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Text(hash) => write!(f, "text:{hash}"),
            Self::Fixed { method, hash } => write!(f, "fixed:{}{hash}", method.prefix()),
        }
    }
}

impl FromStr for ContentAddress {
    type Err = ContentAddressError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let malformed = || ContentAddressError::Malformed(s.to_owned());
        let bad_hash = |source| ContentAddressError::BadHash {
            ca: s.to_owned(),
            source,
        };
        if let Some(rest) = s.strip_prefix("text:") {
            if !rest.contains(':') {
                return Err(malformed());
            }
            let hash = Hash::parse(rest, None).map_err(bad_hash)?;
            if hash.algo() != HashAlgo::Sha256 {
                return Err(ContentAddressError::TextNotSha256(hash.algo()));
            }
            Ok(Self::Text(hash))
        } else if let Some(rest) = s.strip_prefix("fixed:") {
            let (method, rest) = match rest.strip_prefix("r:") {
                Some(rest) => (FileIngestionMethod::Recursive, rest),
                None => (FileIngestionMethod::Flat, rest),
            };
            if !rest.contains(':') {
                return Err(malformed());
            }
            let hash = Hash::parse(rest, None).map_err(bad_hash)?;
            Ok(Self::Fixed { method, hash })
        } else {
            Err(malformed())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> StorePathName {
        StorePathName::new(s).unwrap()
    }

    #[test]
    fn text_path_matches_nix() {
        // `nix-instantiate --eval -E 'builtins.toFile "foo" "bar"'` (Nix 2.8).
        let dir = StoreDir::default();
        let p = dir
            .make_text_path(
                &name("foo"),
                &Hash::of(HashAlgo::Sha256, b"bar"),
                &BTreeSet::new(),
            )
            .unwrap();
        assert_eq!(
            p.to_absolute(&dir),
            "/nix/store/vxjiwkjkn7x4079qvh1jkl5pn05j2aw0-foo"
        );
    }

    #[test]
    fn source_path_matches_nix() {
        // `echo hi > .foo; nix-store --add .foo` (Nix 2.8): NAR of a file "hi\n".
        let mut nar = Vec::new();
        crate::nar::NarNode::Regular {
            executable: false,
            contents: b"hi\n".to_vec(),
        }
        .write_nar(&mut nar)
        .unwrap();
        let dir = StoreDir::default();
        let p = dir.make_source_path(
            &name(".foo"),
            &Hash::of(HashAlgo::Sha256, &nar),
            &BTreeSet::new(),
            false,
        );
        assert_eq!(p.to_string(), "lpg73p3x49mjkxrdj3vxhhzslln67blr-.foo");
    }

    #[test]
    fn references_only_for_recursive_sha256() {
        let dir = StoreDir::default();
        let r: BTreeSet<StorePath> =
            [StorePath::from_base_name("vxjiwkjkn7x4079qvh1jkl5pn05j2aw0-foo").unwrap()].into();
        let h = Hash::of(HashAlgo::Sha1, b"");
        assert!(matches!(
            dir.make_fixed_output_path(&name("x"), FileIngestionMethod::Flat, &h, &r, false),
            Err(ContentAddressError::ReferencesNotAllowed { .. })
        ));
        let h = Hash::of(HashAlgo::Sha256, b"");
        let with = dir
            .make_fixed_output_path(&name("x"), FileIngestionMethod::Recursive, &h, &r, true)
            .unwrap();
        let without = dir
            .make_fixed_output_path(
                &name("x"),
                FileIngestionMethod::Recursive,
                &h,
                &BTreeSet::new(),
                false,
            )
            .unwrap();
        assert_ne!(with, without);
        assert_eq!(
            dir.make_type("source", &r, true),
            "source:/nix/store/vxjiwkjkn7x4079qvh1jkl5pn05j2aw0-foo:self"
        );
    }

    #[test]
    fn output_path_names() {
        let dir = StoreDir::default();
        let h = Hash::of(HashAlgo::Sha256, b"drv");
        let out = dir
            .make_output_path("out", &h, &name("hello-2.12"))
            .unwrap();
        let dev = dir
            .make_output_path("dev", &h, &name("hello-2.12"))
            .unwrap();
        assert_eq!(out.name().as_str(), "hello-2.12");
        assert_eq!(dev.name().as_str(), "hello-2.12-dev");
        assert!(
            dir.make_output_path("dev", &h, &name(&"x".repeat(211)))
                .is_err()
        );
    }

    #[test]
    fn content_address_roundtrip() {
        let h = Hash::of(HashAlgo::Sha256, b"");
        for ca in [
            ContentAddress::Text(h),
            ContentAddress::Fixed {
                method: FileIngestionMethod::Recursive,
                hash: h,
            },
            ContentAddress::Fixed {
                method: FileIngestionMethod::Flat,
                hash: Hash::of(HashAlgo::Sha1, b""),
            },
        ] {
            let s = ca.to_string();
            assert_eq!(s.parse::<ContentAddress>().unwrap(), ca, "{s}");
        }
        assert_eq!(
            ContentAddress::Fixed {
                method: FileIngestionMethod::Recursive,
                hash: h
            }
            .to_string(),
            "fixed:r:sha256:0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73"
        );
        assert!(matches!(
            "blob:sha256:x".parse::<ContentAddress>(),
            Err(ContentAddressError::Malformed(_))
        ));
        assert!(matches!(
            format!("text:{}", Hash::of(HashAlgo::Md5, b"")).parse::<ContentAddress>(),
            Err(ContentAddressError::TextNotSha256(HashAlgo::Md5))
        ));
        assert!(matches!(
            "fixed:r:sha256:zz".parse::<ContentAddress>(),
            Err(ContentAddressError::BadHash { .. })
        ));
    }
}
