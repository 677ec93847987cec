//! The derivation model: what a `.drv` file says, as types.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use bstr::BString;
use cairn_store::content_address::{ContentAddress, FileIngestionMethod};
use cairn_store::hash::{Hash, HashAlgo};
use cairn_store::path::{StorePath, StorePathName};

use crate::DerivationError;

/// A build recipe: everything Nix needs to produce the outputs.
///
/// Byte strings (`builder`, `args`, `env`) are [`BString`]s because Nix
/// strings are bytes: a `.drv` may carry any byte sequence in them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Derivation {
    /// The derivation's name (`name` attribute; the `.drv` path's name
    /// without `.drv`). Output paths are named after it.
    pub name: StorePathName,
    /// The outputs, by name (sorted, as in the `.drv`).
    pub outputs: BTreeMap<OutputName, Output>,
    /// Other derivations this one needs, with the outputs it uses of each.
    pub input_derivations: BTreeMap<StorePath, BTreeSet<OutputName>>,
    /// Store paths (sources) this one needs that no derivation builds.
    pub input_sources: BTreeSet<StorePath>,
    /// The platform the builder runs on, e.g. `x86_64-linux`.
    pub system: BString,
    /// The program to run.
    pub builder: BString,
    /// Its arguments.
    pub args: Vec<BString>,
    /// Its environment.
    pub env: BTreeMap<BString, BString>,
}

impl Derivation {
    /// The single fixed output, when this is a fixed-output derivation
    /// (exactly one output, `out`, whose content hash is known in advance).
    pub fn fixed_output(&self) -> Option<&ContentAddress> {
        let mut outputs = self.outputs.iter();
        match (outputs.next(), outputs.next()) {
            (Some((name, Output::Fixed(ca))), None) if name.is_out() => Some(ca),
            _ => None,
        }
    }

    /// Every store path this derivation's `.drv` file refers to: its input
    /// sources and input derivations. These are the `.drv`'s references.
    pub fn references(&self) -> BTreeSet<StorePath> {
        self.input_sources
            .iter()
            .chain(self.input_derivations.keys())
            .cloned()
            .collect()
    }
}

/// How an output's path is determined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Input-addressed: the path is derived from the derivation's inputs
    /// (its `hashDerivationModulo`), and is known.
    InputAddressed(StorePath),
    /// Input-addressed, but the path is not known yet: the state of a
    /// derivation under construction, whose output paths are computed from
    /// it with the outputs masked. Serialises with an empty path.
    Deferred,
    /// Fixed-output: the content hash is declared in advance, so the path
    /// follows from it alone.
    Fixed(ContentAddress),
    /// Content-addressed with the hash known only after the build
    /// (Nix's experimental `ca-derivations`).
    Floating {
        /// How the content will be hashed.
        method: ContentAddressMethod,
        /// With which algorithm.
        algo: HashAlgo,
    },
}

/// How the content of a content-addressed path is hashed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ContentAddressMethod {
    /// The hash of the file's bytes (`outputHashMode = "flat"`).
    Flat,
    /// The hash of the NAR serialisation (`outputHashMode = "recursive"`).
    Recursive,
    /// Text hashing, as `builtins.toFile` (`outputHashMode = "text"`).
    Text,
}

impl ContentAddressMethod {
    /// The prefix this method puts before the algorithm in a `.drv`'s
    /// `hashAlgo` field and in fixed-output fingerprints: `""`, `"r:"`, `"text:"`.
    pub fn prefix(self) -> &'static str {
        match self {
            ContentAddressMethod::Flat => "",
            ContentAddressMethod::Recursive => "r:",
            ContentAddressMethod::Text => "text:",
        }
    }

    /// The method of a content address.
    pub fn of(ca: &ContentAddress) -> ContentAddressMethod {
        match ca {
            ContentAddress::Text(_) => ContentAddressMethod::Text,
            ContentAddress::Fixed {
                method: FileIngestionMethod::Flat,
                ..
            } => ContentAddressMethod::Flat,
            ContentAddress::Fixed {
                method: FileIngestionMethod::Recursive,
                ..
            } => ContentAddressMethod::Recursive,
        }
    }

    /// The content address of content hashed by this method to `hash`.
    pub fn with_hash(self, hash: Hash) -> ContentAddress {
        match self {
            ContentAddressMethod::Text => ContentAddress::Text(hash),
            ContentAddressMethod::Flat => ContentAddress::Fixed {
                method: FileIngestionMethod::Flat,
                hash,
            },
            ContentAddressMethod::Recursive => ContentAddress::Fixed {
                method: FileIngestionMethod::Recursive,
                hash,
            },
        }
    }

    /// Splits a `hashAlgo` field such as `r:sha256` into method and algorithm.
    pub fn parse_with_algo(
        field: &str,
    ) -> Result<(ContentAddressMethod, HashAlgo), DerivationError> {
        let (method, algo) = if let Some(algo) = field.strip_prefix("r:") {
            (ContentAddressMethod::Recursive, algo)
        } else if let Some(algo) = field.strip_prefix("text:") {
            (ContentAddressMethod::Text, algo)
        } else {
            (ContentAddressMethod::Flat, field)
        };
        let algo = algo
            .parse::<HashAlgo>()
            .map_err(|_| DerivationError::UnknownHashAlgo(field.to_owned()))?;
        Ok((method, algo))
    }
}

/// The name of a derivation output, such as `out`, `dev` or `lib`.
///
/// Output names become part of store path names, so they obey the same
/// character rules; `drv` is refused because `<name>.drv` would be ambiguous.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OutputName(String);

impl OutputName {
    /// The default output, `out`.
    pub fn out() -> OutputName {
        OutputName("out".to_owned())
    }

    /// Checks and wraps an output name.
    pub fn new(name: &str) -> Result<OutputName, DerivationError> {
        let invalid = |reason: &'static str| DerivationError::InvalidOutputName {
            name: name.to_owned(),
            reason,
        };
        if name.is_empty() {
            return Err(invalid("it is empty"));
        }
        if name == "drv" {
            return Err(invalid("`drv` is reserved"));
        }
        // The same characters a store path name may hold.
        StorePathName::new(name)
            .map_err(|_| invalid("it has characters a store path name cannot hold"))?;
        Ok(OutputName(name.to_owned()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for the default output `out`.
    pub fn is_out(&self) -> bool {
        self.0 == "out"
    }
}

impl FromStr for OutputName {
    type Err = DerivationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OutputName::new(s)
    }
}

impl fmt::Display for OutputName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
