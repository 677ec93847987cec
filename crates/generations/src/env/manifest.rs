//! The manifest of a user environment: `manifest.json` at the root of the
//! environment's tree, saying what was installed.
//!
//! The format is cairn's own (Nix 2.8's `nix-env` writes `manifest.nix`, a
//! Nix expression, and `nix profile` a different `manifest.json`); it is
//! versioned so that later versions can read older ones:
//!
//! ```json
//! {
//!   "version": 1,
//!   "elements": [
//!     {
//!       "name": "hello-2.12",
//!       "storePaths": ["/nix/store/…-hello-2.12"],
//!       "attrPath": "hello",
//!       "priority": 5
//!     }
//!   ]
//! }
//! ```

use cairn_store::{StoreDir, StorePath};
use serde::{Deserialize, Serialize};

/// The manifest version this code writes, and the newest it reads.
pub const MANIFEST_VERSION: u32 = 1;

/// The file name of the manifest in an environment's tree.
pub const MANIFEST_FILE: &str = "manifest.json";

/// The priority of an element that does not say (`meta.priority or 5`, as
/// Nix).
pub const DEFAULT_PRIORITY: i64 = 5;

/// One installed package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    /// Its name (`hello-2.12`): the derivation's `name`, or a store path's
    /// name part. Removing goes by it.
    pub name: String,
    /// The store paths (outputs) it brings.
    pub store_paths: Vec<StorePath>,
    /// The attribute it was installed from (`-A hello`), if any.
    pub attr_path: Option<String>,
    /// Its priority in collisions (lower wins).
    pub priority: i64,
}

impl Element {
    /// The name without its version: `hello` for `hello-2.12`, split as Nix
    /// splits a derivation name (at the first `-` not followed by a letter).
    pub fn base_name(&self) -> &str {
        split_name(&self.name).0
    }

    /// True when `selector` names this element: its whole name, its name
    /// without version, or `*`.
    pub fn matches(&self, selector: &str) -> bool {
        selector == "*" || selector == self.name || selector == self.base_name()
    }
}

/// Splits a derivation name into name and version as Nix's `DrvName`:
/// the version starts after the first `-` that is not followed by a
/// letter (`foo-bar-1.2` → (`foo-bar`, `1.2`)).
pub fn split_name(full: &str) -> (&str, &str) {
    let bytes = full.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'-' && bytes.get(i + 1).is_some_and(|c| !c.is_ascii_alphabetic()) {
            return (&full[..i], &full[i + 1..]);
        }
    }
    (full, "")
}

/// What is installed in an environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    /// The elements, in installation order.
    pub elements: Vec<Element>,
}

/// Why a manifest could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ManifestError {
    /// Not JSON of the expected shape.
    #[error("malformed manifest: {0}")]
    Json(#[from] serde_json::Error),
    /// A version this code does not know.
    #[error("manifest version {0} is newer than this cairn understands ({MANIFEST_VERSION})")]
    Version(u32),
    /// A store path that is not one.
    #[error("manifest element '{name}': {source}")]
    Path {
        /// The element.
        name: String,
        /// Why its path is not a store path.
        #[source]
        source: cairn_store::path::PathError,
    },
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct JsonManifest {
    version: u32,
    elements: Vec<JsonElement>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsonElement {
    name: String,
    store_paths: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    attr_path: Option<String>,
    #[serde(default = "default_priority")]
    priority: i64,
}

fn default_priority() -> i64 {
    DEFAULT_PRIORITY
}

impl Manifest {
    /// The manifest as JSON (pretty, ending in a newline).
    pub fn to_json(&self, store_dir: &StoreDir) -> String {
        let json = JsonManifest {
            version: MANIFEST_VERSION,
            elements: self
                .elements
                .iter()
                .map(|e| JsonElement {
                    name: e.name.clone(),
                    store_paths: e
                        .store_paths
                        .iter()
                        .map(|p| store_dir.display_path(p))
                        .collect(),
                    attr_path: e.attr_path.clone(),
                    priority: e.priority,
                })
                .collect(),
        };
        // Serialising these plain structs cannot fail.
        let mut text = serde_json::to_string_pretty(&json).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Reads a manifest written by [`Manifest::to_json`] (of this version or
    /// an older one).
    pub fn from_json(text: &str, store_dir: &StoreDir) -> Result<Manifest, ManifestError> {
        let json: JsonManifest = serde_json::from_str(text)?;
        if json.version > MANIFEST_VERSION {
            return Err(ManifestError::Version(json.version));
        }
        let elements = json
            .elements
            .into_iter()
            .map(|e| {
                let store_paths = e
                    .store_paths
                    .iter()
                    .map(|p| store_dir.parse_path(p))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|source| ManifestError::Path {
                        name: e.name.clone(),
                        source,
                    })?;
                Ok(Element {
                    name: e.name,
                    store_paths,
                    attr_path: e.attr_path,
                    priority: e.priority,
                })
            })
            .collect::<Result<Vec<_>, ManifestError>>()?;
        Ok(Manifest { elements })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_as_nix_splits_them() {
        assert_eq!(split_name("hello-2.12"), ("hello", "2.12"));
        assert_eq!(split_name("foo-bar-1.0-pre"), ("foo-bar", "1.0-pre"));
        assert_eq!(split_name("xorg-server"), ("xorg-server", ""));
        // A trailing `-` starts no version, as in Nix.
        assert_eq!(split_name("a-"), ("a-", ""));
    }

    #[test]
    fn manifests_round_trip_and_newer_versions_are_refused() {
        let store_dir = StoreDir::default();
        let manifest = Manifest {
            elements: vec![Element {
                name: "hello-2.12".into(),
                store_paths: vec![
                    store_dir
                        .parse_path("/nix/store/y9xsr1hg3kf7xbva2dgqpagj6x6555a3-hello-2.12")
                        .unwrap(),
                ],
                attr_path: Some("hello".into()),
                priority: 5,
            }],
        };
        let text = manifest.to_json(&store_dir);
        assert!(text.contains("\"version\": 1"), "{text}");
        assert!(text.contains("\"storePaths\""), "{text}");
        assert_eq!(Manifest::from_json(&text, &store_dir).unwrap(), manifest);
        let newer = text.replace("\"version\": 1", "\"version\": 2");
        assert!(matches!(
            Manifest::from_json(&newer, &store_dir),
            Err(ManifestError::Version(2))
        ));
        assert!(manifest.elements[0].matches("hello"));
        assert!(manifest.elements[0].matches("hello-2.12"));
        assert!(!manifest.elements[0].matches("hello-2"));
    }
}
